// A job of 100,000 requests through a router process that is SIGKILLed ten times at seeded
// random points spread over the job and restarted each time. Afterwards, read_committed, every
// request is in exactly one routed batch or dead letter, Postgres holds exactly one decision per
// request agreeing with the committed batch, and no budget window is exceeded.
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '@switchyard/datasets';
import { stack, withClient } from '../support/index.ts';
import { reliabilityJob } from '../support/reliability-job.ts';
import { RouterProcesses, jobTopics, waitFor } from '../support/router-job.ts';

const N = 100_000;
const KILLS = 10;
const SEED = 20_261_123;

describe('reliability: router SIGKILLed ten times during a 100k job', () => {
  const rel = reliabilityJob('rel-crash');

  it('routes every request exactly once, records one decision each and keeps budgets', { timeout: 420_000 }, async () => {
    const info = stack();
    const { prefix, jobId } = rel;
    await rel.open();
    // One config file per process: the same client id (so the same group and transactional
    // ids), but its own instance id, so Postgres tells which process wrote a decision.
    const configFor = (k: number): Promise<string> => rel.routerConfig(`crash-${k}`);
    const kafka = rel.kafka;
    const job = await rel.produce(N, 5);

    const committed = await rel.reader();
    // Also sees outputs of the transactions a kill left open (aborted by the next process).
    const uncommitted = await rel.reader(true);

    // Seeded kill points: one in each eleventh of the job, at a random place within it.
    const rand = mulberry32(SEED);
    const killAt = Array.from({ length: KILLS }, (_, k) => Math.floor(((k + 0.5 + rand()) * N) / (KILLS + 1)));
    const observedAtKill: number[] = [];
    const redelivered: number[] = [];
    const admin = kafka.admin();
    await admin.connect();
    let child = rel.startRouter(await configFor(0), 'router-0');
    for (let k = 0; k < KILLS; k++) {
      await waitFor(`kill point ${k + 1} (${killAt[k]} requests committed)`, () => committed.finished(), killAt[k]!, 120_000);
      expect(RouterProcesses.alive(child), `router-${k} alive until its kill`).toBe(true);
      await RouterProcesses.stop(child, 'SIGKILL');
      observedAtKill.push(committed.finished());
      // Decisions the killed process wrote past the group's committed offsets: their slices
      // never committed, so the next process decides those requests again.
      const offsets = await admin.fetchOffsets({ groupId: `${prefix}.router`, topics: [jobTopics(prefix).requests] });
      const parts = offsets[0]!.partitions;
      redelivered.push(
        await withClient(info.adminUrl, async (c) =>
          Number(
            (
              await c.query<{ n: string }>(
                `SELECT count(*) AS n FROM switchyard.decisions d
                   JOIN unnest($3::int[], $4::bigint[]) AS p(partition, committed) ON d.source_partition = p.partition
                  WHERE d.job_id = $1 AND d.router_instance = $2 AND d.source_offset >= p.committed`,
                [jobId, `crash-${k}`, parts.map((p) => p.partition), parts.map((p) => (Number(p.offset) < 0 ? 0 : Number(p.offset)))],
              )
            ).rows[0]!.n,
          ),
        ),
      );
      child = rel.startRouter(await configFor(k + 1), `router-${k + 1}`);
    }
    await admin.disconnect();
    await waitFor('every request routed or dead-lettered', () => committed.finished(), N, 180_000);
    // A little longer, so a duplicate committed late would be seen too.
    await new Promise((r) => setTimeout(r, 3_000));
    const code = await RouterProcesses.stop(child, 'SIGTERM');
    expect(code).toBe(0);

    const report = await rel.check(committed, job);
    const redone = uncommitted.finalIds().length - N;
    console.log(
      `[reliability crash] kills ${KILLS} at committed ${observedAtKill.join(', ')}; ` +
        `routed ${report.routed} in ${report.batches} batches, dead letters ${report.deadLetters}, deferred ${report.deferred}; ` +
        `decided again after each kill ${redelivered.join(', ')} (total ${redelivered.reduce((a, b) => a + b, 0)}); ` +
        `request outputs in aborted transactions (read_uncommitted extra) ${redone}`,
    );
    expect(report.problems).toEqual([]);
    expect(observedAtKill.length).toBe(KILLS);
    // Kills landed inside the job, not after it.
    expect(observedAtKill[KILLS - 1]!).toBeLessThan(N);
  });
});
