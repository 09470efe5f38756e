// The alert rules of infra/prometheus checked by Prometheus' own tool: `promtool check rules`
// (syntax, templates), `promtool test rules` (alerts.test.yml: each alert fires in its
// situation and not in the nearest fine one) and `promtool check config` (prometheus.yml and the
// rule files it names). No stack needed; promtool comes from Debian's prometheus package,
// installed here when missing and the tests run as root (test/support/prometheus.ts).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '@switchyard/stack';
import { INSTALL_HINT, PROMETHEUS_DIR, prometheusBinary } from '../support/prometheus.ts';
import { metricNamesIn, registeredMetricNames } from './metric-names.ts';

const run = promisify(execFile);
const alertsFile = join(PROMETHEUS_DIR, 'alerts.yml');

/** Runs promtool; resolves with its exit code and output instead of throwing on a failure. */
async function promtool(bin: string, args: string[], cwd = PROMETHEUS_DIR): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(bin, args, { cwd, timeout: 120_000 });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('infra/prometheus alert rules', () => {
  let bin = '';
  let scratch = '';
  beforeAll(async () => {
    bin = await prometheusBinary('promtool');
    scratch = await mkdtemp(join(tmpdir(), 'sy-promtool-'));
  }, 660_000);
  afterAll(async () => {
    if (scratch !== '') await rm(scratch, { recursive: true, force: true });
  });

  it('pass `promtool check rules`', async () => {
    const r = await promtool(bin, ['check', 'rules', alertsFile]);
    expect(r.output).toMatch(/SUCCESS: \d+ rules found/);
    expect(r.code).toBe(0);
  });

  it('pass their unit tests (`promtool test rules alerts.test.yml`)', async () => {
    const r = await promtool(bin, ['test', 'rules', 'alerts.test.yml']);
    expect(r.output).toContain('SUCCESS');
    expect(r.code).toBe(0);
  });

  it('and the scrape config that loads them pass `promtool check config`', async () => {
    const r = await promtool(bin, ['check', 'config', 'prometheus.yml']);
    expect(r.output).toContain('SUCCESS');
    expect(r.code).toBe(0);
  });

  it('fail the unit tests when an alert does not fire as expected (the check can fail)', async () => {
    const rules = await readFile(alertsFile, 'utf8');
    // The job-stalled alert made blind to partitions that never committed.
    const broken = rules.replace('max by (job, group, stream, topic, partition) (switchyard_consumer_lag{stream!="deferred"}) > 0\n', 'max by (job, group, stream, topic, partition) (switchyard_consumer_lag{stream!="deferred"}) > 0 and on (job, group, topic, partition) switchyard_consumer_committed_offset\n');
    expect(broken).not.toBe(rules);
    await writeFile(join(scratch, 'alerts.yml'), broken);
    await writeFile(join(scratch, 'alerts.test.yml'), await readFile(join(PROMETHEUS_DIR, 'alerts.test.yml'), 'utf8'));
    const r = await promtool(bin, ['test', 'rules', 'alerts.test.yml'], scratch);
    expect(r.code).not.toBe(0);
    expect(r.output).toContain('alertname: SwitchyardJobStalled');
  });

  it('use only metrics the services export', async () => {
    const known = await registeredMetricNames();
    const used = metricNamesIn(await readFile(alertsFile, 'utf8'));
    expect(used.has('switchyard_consumer_lag')).toBe(true);
    expect(used.size).toBeGreaterThan(8);
    expect([...used].filter((m) => !known.has(m))).toEqual([]);
  });

  it('each carry a summary, a description and a runbook link to a heading of docs/operations.md', async () => {
    const rules = await readFile(alertsFile, 'utf8');
    const docs = await readFile(join(repoRoot, 'docs', 'operations.md'), 'utf8');
    // GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes.
    const anchors = new Set([...docs.matchAll(/^#+\s+(.+)$/gm)].map((m) => m[1]!.trim().toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-')));
    const alerts = rules.split(/^\s+- alert: /m).slice(1);
    expect(alerts.length).toBeGreaterThanOrEqual(8);
    for (const block of alerts) {
      const name = block.split('\n')[0]!.trim();
      expect(block, name).toMatch(/^\s+summary: "/m);
      expect(block, name).toMatch(/^\s+description: "/m);
      const runbook = /^\s+runbook_url: "docs\/operations\.md#([a-z0-9-]+)"/m.exec(block);
      expect(runbook?.[1], `${name}: runbook_url`).toBe(name.toLowerCase());
      expect(anchors.has(runbook![1]!), `${name}: docs/operations.md has a heading "${name}"`).toBe(true);
    }
  });
});

describe('prometheusBinary', () => {
  it('says what to install when the named binary is not there', async () => {
    await expect(prometheusBinary('promtool', { SWITCHYARD_PROMTOOL: '/nonexistent/promtool' })).rejects.toThrow('SWITCHYARD_PROMTOOL=/nonexistent/promtool is not an executable file');
    expect(INSTALL_HINT).toContain('apt-get install -y --no-install-recommends prometheus');
  });
});

describe('registeredMetricNames', () => {
  it('finds the metrics of the router, the outcome recorder and the lag monitor, and the default process metrics', async () => {
    const known = await registeredMetricNames();
    for (const m of ['router_routed_total', 'router_budget_leases_reclaimed_total', 'outcome_recorder_outcomes_total', 'switchyard_consumer_lag', 'router_process_cpu_seconds_total']) expect(known.has(m), m).toBe(true);
    expect(known.has('router_no_such_metric')).toBe(false);
  });

  it('matches what a registry with the default metrics holds', async () => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'router_' });
    const known = await registeredMetricNames();
    for (const m of (await registry.getMetricsAsJSON()).map((x) => x.name)) expect(known.has(m), m).toBe(true);
  });
});
