// Failure signals of a real router process when Postgres becomes unreachable: the router reaches
// Postgres through a TCP proxy that resets every connection and refuses new ones while cut (the
// shared Postgres itself is never touched). /readyz must answer 503 naming postgres once it has
// been failing for longer than ops.readyFailureMs, and 200 again once Postgres answers; with
// ops.maxFailureDurationMs set, the process must give up and exit with code 1 so that an
// orchestrator restarts it.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { stack } from '../support/index.ts';
import { reliabilityJob } from '../support/reliability-job.ts';
import { RouterProcesses, freePort, waitFor, waitReady } from '../support/router-job.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';

const READY_FAILURE_MS = 3_000;
const MAX_FAILURE_DURATION_MS = 6_000;

interface ReadyBody {
  readonly ok: boolean;
  readonly failing: readonly { readonly dependency: string; readonly failingForMs: number; readonly error: string }[];
}

async function readyz(port: number): Promise<{ status: number; body: ReadyBody } | null> {
  return fetch(`http://127.0.0.1:${port}/readyz`).then(async (r) => ({ status: r.status, body: (await r.json()) as ReadyBody }), () => null);
}

async function metrics(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

/** Polls /readyz until it answers `status`; returns the answer and when it came. */
async function untilReadyz(port: number, status: number, timeoutMs: number): Promise<{ atMs: number; body: ReadyBody }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await readyz(port);
    if (r !== null && r.status === status) return { atMs: Date.now(), body: r.body };
    if (Date.now() > deadline) throw new Error(`/readyz did not answer ${status} within ${timeoutMs} ms (last: ${JSON.stringify(r)})`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('reliability: failure signals while Postgres is unreachable', () => {
  const rel = reliabilityJob('rel-signals');
  let proxy: TcpProxy | null = null;

  it('turns /readyz 503 after ops.readyFailureMs naming postgres, 200 again after it is back, and exits 1 after ops.maxFailureDurationMs', { timeout: 300_000 }, async () => {
    const info = stack();
    const pgUrl = new URL(info.postgresUrl);
    proxy = await TcpProxy.start({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
    rel.onClose(async () => proxy?.close());
    const viaProxy = new URL(info.postgresUrl);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    await rel.open();

    // 1. Readiness follows Postgres, and the router waits the outage out.
    const port = await freePort();
    const configFile = await rel.routerConfig('signals', {
      postgresUrl: viaProxy.toString(),
      service: { httpPort: port },
      overrides: { ops: { readyFailureMs: READY_FAILURE_MS } },
    });
    const child = rel.startRouter(configFile, 'router');
    await waitReady(port, 120_000);
    const job = await rel.produce(2_000, 5);
    const reader = await rel.reader();
    expect(await metrics(port)).toMatch(/^switchyard_ready 1$/m);

    proxy.cut();
    const cutAt = Date.now();
    const down = await untilReadyz(port, 503, 90_000);
    const failing = down.body.failing.find((f) => f.dependency === 'postgres');
    expect(failing, `postgres named in ${JSON.stringify(down.body)}`).toBeDefined();
    expect(failing!.failingForMs).toBeGreaterThan(READY_FAILURE_MS);
    // The clock cannot have started before the cut, so not ready before readyFailureMs had passed.
    expect(down.atMs - cutAt).toBeGreaterThanOrEqual(READY_FAILURE_MS);
    const downMetrics = await metrics(port);
    expect(downMetrics).toMatch(/^switchyard_ready 0$/m);
    const seconds = Number(/^switchyard_dependency_failing_seconds\{dependency="postgres"\} ([\d.]+)$/m.exec(downMetrics)?.[1]);
    expect(seconds).toBeGreaterThan(READY_FAILURE_MS / 1_000);
    expect(RouterProcesses.alive(child), 'no maxFailureDurationMs: the router stays up').toBe(true);

    proxy.restore();
    const restoredAt = Date.now();
    const up = await untilReadyz(port, 200, 90_000);
    const upMetrics = await metrics(port);
    expect(upMetrics).toMatch(/^switchyard_ready 1$/m);
    expect(upMetrics).toMatch(/^switchyard_dependency_failing_seconds\{dependency="postgres"\} 0$/m);
    await waitFor('every request routed after the outage', () => reader.finished(), job.ids.length, 120_000);
    expect(await RouterProcesses.stop(child, 'SIGTERM')).toBe(0);
    const report = await rel.check(reader, job);
    expect(report.problems).toEqual([]);

    // 2. With maxFailureDurationMs the router gives up on a long outage and exits 1.
    const port2 = await freePort();
    const exitingConfig = await rel.routerConfig('signals-exit', {
      postgresUrl: viaProxy.toString(),
      service: { httpPort: port2 },
      overrides: { ops: { readyFailureMs: READY_FAILURE_MS, maxFailureDurationMs: MAX_FAILURE_DURATION_MS } },
    });
    const exiting = rel.startRouter(exitingConfig, 'router-exit');
    await waitReady(port2, 120_000);
    const exited = new Promise<number | null>((resolve) => exiting.once('exit', (code) => resolve(code)));
    proxy.cut();
    const cut2At = Date.now();
    const code = await Promise.race([exited, new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 120_000))]);
    expect(code).toBe(1);
    const exitedAfterMs = Date.now() - cut2At;
    expect(exitedAfterMs).toBeGreaterThanOrEqual(MAX_FAILURE_DURATION_MS);
    const log = await readFile(rel.file('router-exit.log'), 'utf8');
    const gaveUp = log.split('\n').find((l) => l.includes('ops.maxFailureDurationMs'));
    expect(gaveUp, 'the router logged why it exits').toBeDefined();
    expect(JSON.parse(gaveUp!)).toMatchObject({ dependency: 'postgres' });
    proxy.restore();

    console.log(
      `[reliability dependency signals] readyFailureMs ${READY_FAILURE_MS}: 503 after ${down.atMs - cutAt} ms of the cut (postgres failing ${failing!.failingForMs} ms), ` +
        `200 again ${up.atMs - restoredAt} ms after the restore; maxFailureDurationMs ${MAX_FAILURE_DURATION_MS}: exited with code ${String(code)} ${exitedAfterMs} ms after the cut; ` +
        `connections refused while cut ${proxy.refused}`,
    );
  });
});
