// One binding dollar budget, two router processes, and a SIGKILL in the middle of the job: the
// killed process's uncommitted slices are decided again by the survivor and a replacement,
// whose reservations replace the dead one's under the same request ids. Routed requests are
// settled to a true cost (at most their worst case) as they arrive, as the outcome recorder
// settles outcomes. Checked: every request ends exactly once, the sum of true costs in Postgres
// stays within the budget, and since the job's demand is above the budget (by construction:
// even the cheapest service of every request costs more), the budget is used to at least 90%:
// paced over the job by both processes, not left behind by the crash.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { costUsd } from '@switchyard/config';
import { generateSyntheticDataset } from '@switchyard/datasets';
import { cl100kTokenCounter } from '@switchyard/embedding';
import { createPool, settleUsd } from '@switchyard/store';
import type { Pool } from '@switchyard/store';
import { createKafka, stack, uniqueName, withClient } from '../support/index.ts';
import { OutputReader, RouterProcesses, checkInvariants, cleanUpJob, createJobTopics, jobTopics, produceSyntheticJob, waitFor, writeRouterConfig } from '../support/router-job.ts';

const N = 480;
const SEED = 11;
// Below the least demand of the job (checked in the test, about 0.06 USD), with room for a few dozen requests before the kill.
const BUDGET_USD = 0.05;
const MIN_SETTLED_COMPLETION_TOKENS = 16;

describe('router: a binding dollar budget across a SIGKILL', () => {
  const prefix = uniqueName('usdk');
  const jobId = `${prefix}-job`;
  const models = [
    { name: `${prefix}-dear`, tokensPerMinute: 10_000_000, maxBatchTokens: 4_000, maxBatchRequests: 8, costPer1kPromptTokensUsd: 0.01, costPer1kCompletionTokensUsd: 0.03 },
    { name: `${prefix}-cheap`, tokensPerMinute: 10_000_000, maxBatchTokens: 4_000, maxBatchRequests: 8, costPer1kPromptTokensUsd: 0.001, costPer1kCompletionTokensUsd: 0.003 },
  ];
  const priceOf = new Map(models.map((m) => [m.name, m]));
  const routers = new RouterProcesses();
  let kafka: Kafka;
  let pool: Pool;
  let reader: OutputReader;
  let dir = '';

  beforeAll(async () => {
    kafka = createKafka(prefix);
    pool = createPool({ url: stack().postgresUrl, poolMax: 2 });
    dir = await mkdtemp(join(tmpdir(), 'usd-crash-'));
    await createJobTopics(kafka, prefix, models, 4);
    // What submit stores: the budget before any request is sent, the size once all are sent.
    await pool.query(
      `INSERT INTO switchyard.jobs (job_id, tenant, source, source_format, source_bytes, topic, status, submitted_at, budget_usd, lines_read, lines_produced)
       VALUES ($1, 't', 'f', 'jsonl', 1, $2, 'submitted', now(), $3, $4, $4)`,
      [jobId, jobTopics(prefix).requests, BUDGET_USD, N],
    );
    reader = new OutputReader(kafka, stack().registryUrl, prefix, models.map((m) => m.name));
    await reader.start();
  });

  afterAll(async () => {
    await routers.killAll();
    await reader?.stop();
    await cleanUpJob(kafka, stack().adminUrl, prefix, jobId);
    await withClient(stack().adminUrl, async (c) => {
      await c.query('DELETE FROM switchyard.usd_budgets WHERE scope LIKE $1', [`%${prefix}%`]);
      await c.query('DELETE FROM switchyard.jobs WHERE job_id = $1', [jobId]);
    });
    await pool?.end();
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('keeps the true costs within the budget and uses at least 90% of it', async () => {
    const info = stack();
    const cheapest = priceOf.get(`${prefix}-cheap`)!;
    const data = generateSyntheticDataset({ nHistory: 10, nTest: N, models: 2, seed: SEED });
    const leastDemandUsd = data.test.reduce((sum, q) => sum + costUsd(cheapest, { promptTokens: cl100kTokenCounter(q.prompt), completionTokens: MIN_SETTLED_COMPLETION_TOKENS }), 0);
    expect(leastDemandUsd).toBeGreaterThan(BUDGET_USD);
    // Spent first come, first served on the better model, the budget would serve at most this many.
    const dear = priceOf.get(`${prefix}-dear`)!;
    const leastDearUsd = data.test.reduce((sum, q) => sum + costUsd(dear, { promptTokens: cl100kTokenCounter(q.prompt), completionTokens: MIN_SETTLED_COMPLETION_TOKENS }), 0) / N;
    const dearOnlyAtMost = Math.floor(BUDGET_USD / leastDearUsd);

    const configs = await Promise.all(
      ['i1', 'i2'].map(async (i) => {
        const file = join(dir, `${i}.json`);
        await writeRouterConfig(file, {
          brokers: info.kafkaBrokers,
          registryUrl: info.registryUrl,
          postgresUrl: info.postgresUrl,
          clientId: prefix,
          topics: jobTopics(prefix),
          partitions: 4,
          models,
          instanceId: `${prefix}-${i}`,
          overrides: { router: { maxDeferrals: 200, deferDelayMs: 300 } },
          service: { fetchMaxBytesPerPartition: 4 * 1024, scoreChunkRequests: 64, deferredPollMs: 200 },
        });
        return file;
      }),
    );
    const first = routers.start(configs[0]!, 'usd-router-1');
    routers.start(configs[1]!, 'usd-router-2');
    const job = await produceSyntheticJob(kafka, info.registryUrl, { prefix, jobId, n: N, seed: SEED, maxOutputTokens: 128 });

    const settled = new Map<string, number>();
    let k = 0;
    const settleRouted = async (): Promise<number> => {
      const items = reader.routed.flatMap(({ batch }) =>
        batch.requests.filter((q) => !settled.has(q.requestId)).map((q) => {
          const completionTokens = MIN_SETTLED_COMPLETION_TOKENS + ((k++ * 37) % (q.maxOutputTokens - MIN_SETTLED_COMPLETION_TOKENS + 1));
          return { requestId: q.requestId, trueCostUsd: costUsd(priceOf.get(batch.model)!, { promptTokens: q.promptTokens, completionTokens }) };
        }),
      );
      const results = await settleUsd(pool, items);
      items.forEach((it, i) => {
        expect(results[i]!.kind).not.toBe('overrun');
        settled.set(it.requestId, it.trueCostUsd);
      });
      return reader.finished();
    };
    await waitFor('some of the job routed', async () => (await settleRouted(), reader.routedCount()), 24, 180_000);
    await RouterProcesses.stop(first, 'SIGKILL');
    const beforeKill = reader.finished();
    routers.start(configs[0]!, 'usd-router-1b');
    await waitFor('every request routed or dead-lettered', settleRouted, N, 240_000);
    await settleRouted();

    const report = await checkInvariants({ reader, ids: job.ids, jobId, prefix, models, adminUrl: info.adminUrl });
    expect(report.problems).toEqual([]);
    const { budget, reservations } = await withClient(info.adminUrl, async (c) => ({
      budget: (await c.query<{ limit_nano: string; committed_nano: string }>('SELECT limit_nano, committed_nano FROM switchyard.usd_budgets WHERE scope = $1', [`job:${jobId}`])).rows[0]!,
      reservations: (await c.query<{ request_id: string; state: string; amount_nano: string }>('SELECT request_id, state, amount_nano FROM switchyard.usd_reservations WHERE scope = $1', [`job:${jobId}`])).rows,
    }));
    const trueCostsNano = reservations.filter((r) => r.state === 'settled').reduce((s, r) => s + Number(r.amount_nano), 0);
    const stuck = reservations.filter((r) => r.state === 'reserved').length;
    console.log(
      `[usd crash] finished before the kill ${beforeKill}, routed ${report.routed}, dead letters ${report.deadLetters}, deferrals ${report.deferred}, ` +
        `(the dear model alone: at most ${dearOnlyAtMost}), true costs ${trueCostsNano / 1e9} of ${BUDGET_USD} USD (${((100 * trueCostsNano) / Number(budget.limit_nano)).toFixed(1)}%), reservations left held ${stuck}`,
    );
    expect(Number(budget.committed_nano)).toBeLessThanOrEqual(Number(budget.limit_nano));
    expect(trueCostsNano).toBeLessThanOrEqual(Number(budget.limit_nano));
    expect([...settled.values()].reduce((s, c) => s + c, 0)).toBeLessThanOrEqual(BUDGET_USD);
    expect(trueCostsNano).toBeGreaterThanOrEqual(0.9 * Number(budget.limit_nano));
    // Paced over the job, the budget went to the cheaper model and served several times more.
    expect(report.routed).toBeGreaterThan(2 * dearOnlyAtMost);
    for (const reason of reader.dead.map((d) => d.reason)) expect(['budget_usd_exhausted', 'budget_usd_too_small', 'max_deferrals_exceeded']).toContain(reason);
  }, 480_000);
});
