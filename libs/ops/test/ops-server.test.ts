import { Registry, Counter } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { startOpsServer } from '../src/index.ts';
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
    expect(await notReady.json()).toEqual({ ok: false });
    ready = true;
    expect((await fetch(`${base}/readyz?x=1`)).status).toBe(200);

    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
  });
});
