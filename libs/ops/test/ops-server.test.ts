import { Registry, Counter } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { DependencyHealth, startOpsServer } from '../src/index.ts';
import type { OpsServer } from '../src/index.ts';

describe('startOpsServer', () => {
  let server: OpsServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('serves metrics, liveness and readiness from the probe, and refuses other methods and paths', async () => {
    const registry = new Registry();
    new Counter({ name: 'ops_test_events_total', help: 'events', registers: [registry] }).inc(3);
    let ready = false;
    server = await startOpsServer('127.0.0.1', 0, registry, { live: () => true, ready: () => ready });
    const base = `http://127.0.0.1:${server.port}`;

    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('ops_test_events_total 3');

    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ ok: false, failing: [] });
    ready = true;
    expect((await fetch(`${base}/readyz?x=1`)).status).toBe(200);

    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('answers 503 naming the dependency failing past readyFailureMs, 200 again after its success, and exports the gauges', async () => {
    const registry = new Registry();
    let now = 1_700_000_000_000;
    const health = new DependencyHealth({ readyFailureMs: 15_000, clock: () => now });
    server = await startOpsServer('127.0.0.1', 0, registry, { live: () => true, ready: () => true, health });
    const base = `http://127.0.0.1:${server.port}`;
    const pg = health.reporter('postgres');

    pg.failed(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
    now += 10_000;
    const early = await fetch(`${base}/readyz`);
    expect(early.status).toBe(200);
    expect(await early.json()).toMatchObject({ ok: true, failing: [{ dependency: 'postgres', failingForMs: 10_000 }] });

    now += 6_000;
    const down = await fetch(`${base}/readyz`);
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({
      ok: false,
      readyFailureMs: 15_000,
      failing: [{ dependency: 'postgres', failingForMs: 16_000, failingSince: new Date(1_700_000_000_000).toISOString(), error: 'Error: connect ECONNREFUSED 127.0.0.1:5432' }],
    });
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toContain('switchyard_ready 0');
    expect(text).toContain('switchyard_dependency_failing_seconds{dependency="postgres"} 16');
    expect(text).toContain('switchyard_dependency_failing_seconds{dependency="kafka"} 0');

    pg.succeeded();
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const after = await (await fetch(`${base}/metrics`)).text();
    expect(after).toContain('switchyard_ready 1');
    expect(after).toContain('switchyard_dependency_failing_seconds{dependency="postgres"} 0');
  });

  it('is not ready while the service itself is not, whatever the dependencies say', async () => {
    const registry = new Registry();
    server = await startOpsServer('127.0.0.1', 0, registry, { live: () => true, ready: () => false, health: new DependencyHealth({ readyFailureMs: 1 }) });
    const res = await fetch(`http://127.0.0.1:${server.port}/readyz`);
    expect(res.status).toBe(503);
    expect(await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text()).toContain('switchyard_ready 0');
  });
});
