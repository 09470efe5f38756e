// Two router processes in one consumer group under budgets that bind (a small per-minute
// window on both models and a small per-day window on one, so part of the job is deferred to
// later minutes). Mid-job one process is stopped gracefully (SIGTERM: it finishes its
// in-flight slices and leaves the group, so the other takes its partitions) and later started
// again (another rebalance). The budgets are shared through the Postgres lease ledger, so the
// two together must stay within every window; and every request ends exactly once.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createKafka, stack, uniqueName } from '../support/index.ts';
import {
  OutputReader,
  RouterProcesses,
  checkInvariants,
  cleanUpJob,
  createJobTopics,
  freePort,
  jobTopics,
  produceSyntheticJob,
  waitFor,
  waitReady,
  writeRouterConfig,
} from '../support/router-job.ts';
import type { ModelSpec } from '../support/router-job.ts';

const N = 10_000;

describe('reliability: two router instances, one stopped and restarted mid-job', () => {
  const prefix = uniqueName('rel-two');
  const jobId = `${prefix}-job`;
  const models: ModelSpec[] = [
    { name: `${prefix}-a`, tokensPerMinute: 900_000, maxBatchTokens: 6_000, maxBatchRequests: 40 },
    { name: `${prefix}-b`, tokensPerMinute: 300_000, tokensPerDay: 500_000, maxBatchTokens: 8_000, maxBatchRequests: 60 },
  ];
  const routers = new RouterProcesses();
  const readers: OutputReader[] = [];
  let dir = '';

  afterAll(async () => {
    await routers.killAll();
    for (const r of readers) await r.stop();
    await cleanUpJob(createKafka(prefix), stack().adminUrl, prefix, jobId);
    if (dir !== '' && process.env['KEEP_TEST_LOGS'] === undefined) await rm(dir, { recursive: true, force: true });
  });

  it('keeps exactly-once outputs and joint budgets across the rebalances', { timeout: 360_000 }, async () => {
    const info = stack();
    dir = await mkdtemp(join(tmpdir(), 'rel-two-'));
    const ports = { r1: await freePort(), r2: await freePort() };
    const configOf = async (instance: 'r1' | 'r2'): Promise<string> => {
      const file = join(dir, `${instance}.json`);
      await writeRouterConfig(file, {
        brokers: info.kafkaBrokers,
        registryUrl: info.registryUrl,
        postgresUrl: info.postgresUrl,
        clientId: prefix,
        topics: jobTopics(prefix),
        partitions: 3,
        models,
        instanceId: instance,
        service: { httpPort: ports[instance] },
      });
      return file;
    };
    const kafka = createKafka(prefix);
    await createJobTopics(kafka, prefix, models, 3);
    const job = await produceSyntheticJob(kafka, info.registryUrl, { prefix, jobId, n: N, seed: 13 });
    const reader = new OutputReader(kafka, info.registryUrl, prefix, models.map((m) => m.name));
    readers.push(reader);
    await reader.start();

    const files = { r1: await configOf('r1'), r2: await configOf('r2') };
    const r1 = routers.start(files.r1, 'r1', join(dir, 'r1.log'));
    let r2 = routers.start(files.r2, 'r2', join(dir, 'r2.log'));
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
    r2 = routers.start(files.r2, 'r2-again', join(dir, 'r2-again.log'));
    await waitReady(ports.r2, 120_000);
    await waitFor('every request routed or dead-lettered', () => reader.finished(), N, 300_000);
    await new Promise((r) => setTimeout(r, 3_000));
    expect(RouterProcesses.alive(r1), 'r1 never exited').toBe(true);
    expect(await RouterProcesses.stop(r2, 'SIGTERM')).toBe(0);
    expect(await RouterProcesses.stop(r1, 'SIGTERM')).toBe(0);

    const report = await checkInvariants({ reader, ids: job.ids, jobId, prefix, models, adminUrl: info.adminUrl });
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
