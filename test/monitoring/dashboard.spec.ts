// The Grafana dashboard of infra/grafana: every query parses as PromQL (promtool checks each as
// a recording rule), uses only metrics the services export, and reads the provisioned data
// source; the dashboard covers each area an operator looks at.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '@switchyard/stack';
import { prometheusBinary } from '../support/prometheus.ts';
import { metricNamesIn, registeredMetricNames } from './metric-names.ts';

const run = promisify(execFile);
const GRAFANA_DIR = join(repoRoot, 'infra', 'grafana');

interface Target {
  readonly expr: string;
  readonly datasource: { readonly uid: string };
}
interface Panel {
  readonly type: string;
  readonly title: string;
  readonly datasource?: { readonly uid: string };
  readonly targets?: readonly Target[];
}

const dashboard = JSON.parse(await readFile(join(GRAFANA_DIR, 'dashboards', 'switchyard.json'), 'utf8')) as { uid: string; panels: Panel[] };
const panels = dashboard.panels.filter((p) => p.type !== 'row');
const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));

describe('infra/grafana dashboard', () => {
  let scratch = '';
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'sy-dashboard-'));
  });
  afterAll(async () => {
    if (scratch !== '') await rm(scratch, { recursive: true, force: true });
  });

  it('has panels with queries, each on the provisioned Prometheus data source', async () => {
    const datasources = await readFile(join(GRAFANA_DIR, 'provisioning', 'datasources', 'prometheus.yml'), 'utf8');
    const uid = /^\s+uid:\s*(\S+)\s*$/m.exec(datasources)?.[1];
    expect(uid).toBe('prometheus');
    expect(panels.length).toBeGreaterThan(15);
    for (const p of panels) {
      expect(p.targets?.length ?? 0, p.title).toBeGreaterThan(0);
      expect(p.datasource?.uid, p.title).toBe(uid);
      for (const t of p.targets ?? []) expect(t.datasource.uid, p.title).toBe(uid);
    }
  });

  it('asks only valid PromQL (`promtool check rules` on every query as a recording rule)', { timeout: 660_000 }, async () => {
    const bin = await prometheusBinary('promtool');
    // Grafana's own variable, which Prometheus does not know, as the value Grafana would put in.
    const rules = exprs.map((e, i) => `      - record: dashboard:query_${i}\n        expr: ${JSON.stringify(e.replaceAll('$__rate_interval', '5m'))}\n`).join('');
    const file = join(scratch, 'dashboard-queries.yml');
    await writeFile(file, `groups:\n  - name: dashboard\n    rules:\n${rules}`);
    const { stdout } = await run(bin, ['check', 'rules', file]);
    expect(stdout).toContain(`SUCCESS: ${exprs.length} rules found`);
  });

  it('uses only metrics the services export', async () => {
    const known = await registeredMetricNames();
    const used = metricNamesIn(exprs.join('\n'));
    expect([...used].filter((m) => !known.has(m))).toEqual([]);
  });

  it('covers throughput, routing per model, budgets and spend, lag, dead letters, leases, outcomes, readiness and latency', () => {
    const used = metricNamesIn(exprs.join('\n'));
    for (const m of [
      'router_consumed_total',
      'router_routed_total',
      'router_budget_used_tokens',
      'router_budget_limit_tokens',
      'outcome_recorder_usd_settlements_total',
      'switchyard_consumer_lag',
      'router_dead_letters_total',
      'outcome_recorder_dead_letters_total',
      'router_budget_leases_reclaimed_total',
      'outcome_recorder_outcomes_total',
      'switchyard_ready',
      'switchyard_dependency_failing_seconds',
      'router_scoring_seconds',
      'router_decision_write_seconds',
    ]) {
      expect(used.has(m), m).toBe(true);
    }
    expect(exprs.some((e) => e.includes('histogram_quantile') && e.includes('_bucket'))).toBe(true);
  });

  it('is loaded from where the provider looks, as docker-compose.yml mounts it', async () => {
    const provider = await readFile(join(GRAFANA_DIR, 'provisioning', 'dashboards', 'switchyard.yml'), 'utf8');
    const path = /^\s+path:\s*(\S+)\s*$/m.exec(provider)?.[1];
    const compose = await readFile(join(repoRoot, 'docker-compose.yml'), 'utf8');
    expect(compose).toContain(`./infra/grafana/dashboards:${path}:ro`);
    expect(compose).toContain('./infra/grafana/provisioning:/etc/grafana/provisioning:ro');
    expect(compose).toContain('./infra/prometheus:/etc/prometheus:ro');
  });
});
