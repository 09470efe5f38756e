// A real Prometheus (Debian's binary, on 127.0.0.1) scrapes a running router with the project's
// alert rules, as an operator would run it. The router reaches Postgres through a proxy that the
// test cuts before any request arrives: every slice fails and is retried, nothing commits, and
// the requests wait. Prometheus must see the router's metrics and the exact lag, evaluate every
// rule without error, fire SwitchyardJobStalled for the partitions holding the requests, and
// clear it once Postgres is back and the requests are routed.
//
// The rules are the project's, with every `for:` shortened to 0s: the situation holds for a
// minute here, not the minutes the alerts wait in production. What `for:` does is covered by
// the promtool unit tests (infra/prometheus/alerts.test.yml).
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stack } from '../support/index.ts';
import { PROMETHEUS_DIR, prometheusBinary, startPrometheus } from '../support/prometheus.ts';
import type { RunningPrometheus } from '../support/prometheus.ts';
import { reliabilityJob } from '../support/reliability-job.ts';
import { freePort, jobTopics, waitFor, waitReady } from '../support/router-job.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';

const N = 40;

interface Sample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}
interface RuleGroup {
  readonly rules: readonly { readonly name: string; readonly health: string; readonly lastError?: string; readonly lastEvaluation: string }[];
}
interface Alert {
  readonly labels: Record<string, string>;
  readonly state: string;
}

async function query(prom: RunningPrometheus, promql: string): Promise<Sample[]> {
  const data = await prom.api<{ result: Sample[] }>(`/api/v1/query?query=${encodeURIComponent(promql)}`);
  return data.result;
}

async function firing(prom: RunningPrometheus, name: string): Promise<Alert[]> {
  const { alerts } = await prom.api<{ alerts: Alert[] }>('/api/v1/alerts');
  return alerts.filter((a) => a.labels['alertname'] === name && a.state === 'firing');
}

describe('Prometheus scraping a router with the project\'s alert rules', () => {
  const rel = reliabilityJob('mon', { partitions: 2 });

  it('sees the metrics and the lag, evaluates every rule, and fires the job-stalled alert while Postgres is cut off', { timeout: 600_000 }, async () => {
    const promBin = await prometheusBinary('prometheus');
    const info = stack();
    const pgUrl = new URL(info.postgresUrl);
    const proxy = await TcpProxy.start({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
    rel.onClose(async () => proxy.close());
    const viaProxy = new URL(info.postgresUrl);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    await rel.open();

    const routerPort = await freePort();
    const configFile = await rel.routerConfig('mon', { postgresUrl: viaProxy.toString(), service: { httpPort: routerPort, consumerLagPollMs: 1_000 } });
    rel.startRouter(configFile, 'router');
    await waitReady(routerPort, 240_000);

    const rules = await readFile(join(PROMETHEUS_DIR, 'alerts.yml'), 'utf8');
    const ruleCount = [...rules.matchAll(/^\s+- alert: /gm)].length;
    const shortened = rules.replace(/^(\s+)for: \S+$/gm, '$1for: 0s');
    expect(shortened.match(/for: 0s/g)?.length).toBeGreaterThanOrEqual(5);
    const dir = await mkdtemp(join(rel.dir, 'prometheus-'));
    await writeFile(join(dir, 'alerts.yml'), shortened);
    await writeFile(
      join(dir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        'rule_files: [alerts.yml]',
        'scrape_configs:',
        '  - job_name: router',
        `    static_configs: [{ targets: ["127.0.0.1:${routerPort}"] }]`,
        '',
      ].join('\n'),
    );
    const prom = await startPrometheus({ binary: promBin, configFile: join(dir, 'prometheus.yml'), dataDir: join(dir, 'data'), port: await freePort(), logFile: rel.file('prometheus.log') });
    rel.onClose(() => prom.stop());

    // The router's own metrics and the lag monitor's, scraped.
    const scraped = async (promql: string): Promise<number> => (await query(prom, promql)).length;
    await waitFor('the router scraped', () => scraped('up{job="router"} == 1'), 1, 60_000);
    await waitFor('the lag monitor polled', () => scraped('switchyard_consumer_lag_polls_total{job="router",result="ok"} > 0'), 1, 60_000);
    for (const m of ['router_pool_queue_depth', 'router_budget_windows', 'router_process_cpu_seconds_total']) expect(await scraped(`${m}{job="router"}`), m).toBeGreaterThan(0);

    // Postgres cut off, then the requests: none can be decided.
    proxy.cut();
    await rel.produce(N, 17);
    const requestsTopic = jobTopics(rel.prefix).requests;
    const lagQuery = `switchyard_consumer_lag{job="router",stream="requests",topic="${requestsTopic}"}`;
    const lagSum = async (): Promise<number> => (await query(prom, `sum(${lagQuery})`)).reduce((a, s) => a + Number(s.value[1]), 0);
    await waitFor('Prometheus sees every request as lag', lagSum, N, 60_000);
    expect(await lagSum()).toBe(N);
    expect(await scraped(`switchyard_consumer_committed_offset{job="router",topic="${requestsTopic}"}`)).toBe(0);

    // Every rule evaluated, none in error.
    await waitFor('every rule evaluated', async () => {
      const { groups } = await prom.api<{ groups: RuleGroup[] }>('/api/v1/rules');
      return groups.flatMap((g) => g.rules).filter((r) => !r.lastEvaluation.startsWith('0001-')).length;
    }, ruleCount, 60_000);
    const { groups } = await prom.api<{ groups: RuleGroup[] }>('/api/v1/rules');
    const evaluated = groups.flatMap((g) => g.rules);
    expect(evaluated).toHaveLength(ruleCount);
    expect(evaluated.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`)).toEqual([]);

    // Stalled: fires for exactly the partitions holding requests; the lag is too small to be "growing".
    const waiting = (await query(prom, `${lagQuery} > 0`)).map((s) => s.metric['partition']).sort();
    expect(waiting.length).toBeGreaterThan(0);
    await waitFor('SwitchyardJobStalled firing', async () => (await firing(prom, 'SwitchyardJobStalled')).length, waiting.length, 60_000);
    const stalled = await firing(prom, 'SwitchyardJobStalled');
    expect(stalled.map((a) => a.labels['partition']).sort()).toEqual(waiting);
    for (const a of stalled) expect(a.labels).toMatchObject({ job: 'router', stream: 'requests', topic: requestsTopic, severity: 'critical' });
    expect(await firing(prom, 'SwitchyardConsumerLagGrowing')).toEqual([]);

    // Postgres back: the requests are routed, the lag drains and the alert clears.
    proxy.restore();
    await waitFor('the lag drained', async () => ((await lagSum()) === 0 && (await scraped(`switchyard_consumer_committed_offset{job="router",topic="${requestsTopic}"}`)) === waiting.length ? 1 : 0), 1, 180_000);
    await waitFor('SwitchyardJobStalled resolved', async () => ((await firing(prom, 'SwitchyardJobStalled')).length === 0 ? 1 : 0), 1, 60_000);
  });
});
