// Two router processes in one consumer group under budgets that bind (a small per-minute
// window on both models and a small per-day window on one, so part of the job is deferred to
// later minutes). Mid-job one process is stopped gracefully (SIGTERM: it finishes its
// in-flight slices and leaves the group, so the other takes its partitions) and later started
// again (another rebalance). The budgets are shared through the Postgres lease ledger, so the
// two together must stay within every window; and every request ends exactly once.
import { describe, expect, it } from 'vitest';
import { reliabilityJob } from '../support/reliability-job.ts';
import { RouterProcesses, freePort, waitFor, waitReady } from '../support/router-job.ts';

const N = 10_000;

describe('reliability: two router instances, one stopped and restarted mid-job', () => {
  const rel = reliabilityJob('rel-two', {
    models: (prefix) => [
      { name: `${prefix}-a`, tokensPerMinute: 900_000, maxBatchTokens: 6_000, maxBatchRequests: 40 },
      { name: `${prefix}-b`, tokensPerMinute: 300_000, tokensPerDay: 500_000, maxBatchTokens: 8_000, maxBatchRequests: 60 },
    ],
  });

  it('keeps exactly-once outputs and joint budgets across the rebalances', { timeout: 360_000 }, async () => {
    await rel.open();
    const ports = { r1: await freePort(), r2: await freePort() };
    const configOf = (instance: 'r1' | 'r2'): Promise<string> => rel.routerConfig(instance, { service: { httpPort: ports[instance] } });
    const job = await rel.produce(N, 13);
    const reader = await rel.reader();

    const files = { r1: await configOf('r1'), r2: await configOf('r2') };
    const r1 = rel.startRouter(files.r1, 'r1');
    let r2 = rel.startRouter(files.r2, 'r2');
    // Both booted and consuming before anything is stopped.
    await waitReady(ports.r1, 120_000);
    await waitReady(ports.r2, 120_000);
    await waitFor('a fifth of the job with both instances', () => reader.finished(), N / 5, 180_000);
    const atStop = reader.finished();
    const stopCode = await RouterProcesses.stop(r2, 'SIGTERM');
    expect(stopCode, 'graceful stop of r2').toBe(0);
    // r1 alone (it took r2's partitions) makes progress, or defers what its windows cannot take.
    await waitFor('progress with r1 alone', () => reader.finished() + reader.deferred.length, atStop + N / 10, 180_000);
    const atRestart = reader.finished();
    r2 = rel.startRouter(files.r2, 'r2-again');
    await waitReady(ports.r2, 120_000);
    await waitFor('every request routed or dead-lettered', () => reader.finished(), N, 300_000);
    await new Promise((r) => setTimeout(r, 3_000));
    expect(RouterProcesses.alive(r1), 'r1 never exited').toBe(true);
    expect(await RouterProcesses.stop(r2, 'SIGTERM')).toBe(0);
    expect(await RouterProcesses.stop(r1, 'SIGTERM')).toBe(0);

    const report = await rel.check(reader, job);
    const deadReasons = Object.fromEntries([...new Set(reader.dead.map((d) => d.reason))].map((r) => [r, reader.dead.filter((d) => d.reason === r).length]));
    console.log(
      `[reliability two instances] r2 stopped at ${atStop}, restarted at ${atRestart} finished; ` +
        `routed ${report.routed} in ${report.batches} batches, deferred ${report.deferred}, fallbacks ${report.fallbacks}, dead letters ${JSON.stringify(deadReasons)}`,
    );
    expect(report.problems).toEqual([]);
    // The budgets did bind: part of the job waited for a later window.
    expect(report.deferred).toBeGreaterThan(0);
    for (const d of reader.dead) expect(['max_deferrals_exceeded', 'no_feasible_model']).toContain(d.reason);
  });
});
