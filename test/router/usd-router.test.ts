// The router enforcing a job's dollar budget on the real stack: two in-process instances in one
// group share the job's budget (set on the jobs row, as submit stores it) through the Postgres
// ledger. Routed requests are settled to a true cost at most their worst case as they arrive
// (what the outcome recorder does with each outcome), so deferred requests fit again while
// budget comes back. Checked: every request ends exactly once (routed or dead-lettered), the
// refusals carry a budget_usd_* reason, every routed request held a reservation, and the sum
// of true costs in Postgres stays within the budget.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { costUsd, loadConfig } from '@switchyard/config';
import { generateSyntheticDataset } from '@switchyard/datasets';
import { cl100kTokenCounter } from '@switchyard/embedding';
import { AvroSerde, contracts, createRegistryClient } from '@switchyard/contracts';
import { compileRouterConfig, parseRouterServiceConfig, startRouter } from '@switchyard/router';
import type { RouterHandle } from '@switchyard/router';
import { createPool, settleUsd } from '@switchyard/store';
import type { Pool } from '@switchyard/store';
import { pino } from 'pino';
import { createKafka, stack, uniqueName, withClient } from '../support/index.ts';
import { OutputReader, checkInvariants, cleanUpJob, createJobTopics, jobTopics, produceSyntheticJob, waitFor } from '../support/router-job.ts';

const N = 60;
const SEED = 5;
// Binding by construction: serving all N requests on the cheap model, each settled at the
// fewest output tokens the settle rule below gives (16), would cost about 0.0078 USD (checked
// in the test), more than the budget; so some requests must be refused whatever the timing.
const BUDGET_USD = 0.006;
const MIN_SETTLED_COMPLETION_TOKENS = 16;

describe('router: a binding dollar budget', () => {
  const prefix = uniqueName('usdr');
  const jobId = `${prefix}-job`;
  const tenant = `${prefix}-t`;
  // dear: about 0.005 USD worst case per request (128 max output tokens); cheap: a tenth.
  const models = [
    { name: `${prefix}-dear`, tokensPerMinute: 10_000_000, maxBatchTokens: 4_000, maxBatchRequests: 8, costPer1kPromptTokensUsd: 0.01, costPer1kCompletionTokensUsd: 0.03 },
    { name: `${prefix}-cheap`, tokensPerMinute: 10_000_000, maxBatchTokens: 4_000, maxBatchRequests: 8, costPer1kPromptTokensUsd: 0.001, costPer1kCompletionTokensUsd: 0.003 },
  ];
  const priceOf = new Map(models.map((m) => [m.name, m]));
  let kafka: Kafka;
  let pool: Pool;
  let reader: OutputReader;
  const routers: RouterHandle[] = [];

  function configFor(instance: string) {
    const info = stack();
    const shared = loadConfig(
      {},
      {
        kafka: { brokers: info.kafkaBrokers, clientId: prefix, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000 },
        registry: { url: info.registryUrl },
        postgres: { connectionString: info.postgresUrl, maxConnections: 4 },
        topics: { ...jobTopics(prefix), partitions: 2, replicationFactor: 1 },
        models,
        batching: { flushIntervalMs: 200 },
        workers: { poolSize: 1 },
        scoring: { backend: 'ts' },
        router: { instanceId: instance, policy: { policy: 'greedy-perf' }, maxDeferrals: 30, deferDelayMs: 500 },
        log: { level: 'warn' },
      },
    );
    const service = parseRouterServiceConfig({
      reference: { source: 'synthetic', nHistory: 400, seed: 3 },
      embedding: { dim: 64 },
      ann: { kind: 'exact', k: 5 },
      ledger: 'postgres',
      httpPort: 0,
      httpHost: '127.0.0.1',
      fetchMaxBytesPerPartition: 4 * 1024,
      scoreChunkRequests: 64,
      deferredPollMs: 200,
    });
    return compileRouterConfig(shared, service);
  }

  beforeAll(async () => {
    kafka = createKafka(prefix);
    pool = createPool({ url: stack().postgresUrl, poolMax: 2 });
    await createJobTopics(kafka, prefix, models, 2);
    // What submit stores before any request is sent.
    await pool.query(
      `INSERT INTO switchyard.jobs (job_id, tenant, source, source_format, source_bytes, topic, status, submitted_at, budget_usd)
       VALUES ($1, $2, 'f', 'jsonl', 1, $3, 'submitted', now(), $4)`,
      [jobId, tenant, jobTopics(prefix).requests, BUDGET_USD],
    );
    const logger = pino({ level: 'warn' });
    for (const instance of [`${prefix}-i1`, `${prefix}-i2`]) routers.push(await startRouter(configFor(instance), { logger: logger.child({ instance }), defaultMetrics: false }));
    reader = new OutputReader(kafka, stack().registryUrl, prefix, models.map((m) => m.name));
    await reader.start();
  });

  afterAll(async () => {
    await reader?.stop();
    for (const r of routers) await r.stop();
    await cleanUpJob(kafka, stack().adminUrl, prefix, jobId);
    await withClient(stack().adminUrl, async (c) => {
      await c.query('DELETE FROM switchyard.usd_budgets WHERE scope LIKE $1', [`%${prefix}%`]);
      await c.query('DELETE FROM switchyard.jobs WHERE job_id = $1', [jobId]);
    });
    await pool?.end();
  });

  it('keeps the true costs within the budget and refuses with the reason', async () => {
    const info = stack();
    const job = await produceSyntheticJob(kafka, info.registryUrl, { prefix, jobId, n: N, seed: SEED, tenantOf: () => tenant, maxOutputTokens: 128 });
    const cheapest = priceOf.get(`${prefix}-cheap`)!;
    const leastDemandUsd = generateSyntheticDataset({ nHistory: 10, nTest: N, models: 2, seed: SEED }).test.reduce(
      (sum, q) => sum + costUsd(cheapest, { promptTokens: cl100kTokenCounter(q.prompt), completionTokens: MIN_SETTLED_COMPLETION_TOKENS }),
      0,
    );
    expect(leastDemandUsd).toBeGreaterThan(BUDGET_USD);
    // Its worst case is above the whole budget on every model: rejected at once, never deferred.
    const huge = `${prefix}-huge`;
    const serde = await AvroSerde.forTopic(createRegistryClient({ url: info.registryUrl }), jobTopics(prefix).requests, contracts.request);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({
      topic: jobTopics(prefix).requests,
      messages: [{ key: huge, value: serde.encode({ requestId: huge, jobId, tenant, prompt: 'a prompt', embedding: null, promptTokens: null, maxOutputTokens: 100_000, priority: 0, deadline: null, allowedModels: null, metadata: {}, submittedAt: Date.now() }) }],
    });
    await producer.disconnect();
    const ids = [...job.ids, huge];

    // Settle each routed request as its outcome would: a true cost from its real prompt tokens
    // and at most its max output tokens, at the standard price (never above the worst case).
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
    await waitFor('every request routed or dead-lettered', settleRouted, ids.length, 150_000);
    await settleRouted();

    const report = await checkInvariants({ reader, ids, jobId, prefix, models, adminUrl: info.adminUrl });
    expect(report.problems).toEqual([]);
    const deadReasons = new Map(reader.dead.map((d) => [d.originalKey?.toString('utf8') ?? '', d.reason]));
    expect(deadReasons.get(huge)).toBe('budget_usd_too_small');
    // Token windows are far away: every refusal is the dollar budget's.
    for (const reason of deadReasons.values()) expect(['budget_usd_exhausted', 'budget_usd_too_small', 'max_deferrals_exceeded']).toContain(reason);
    expect(new Set(reader.deferred.map((d) => d.reason))).toEqual(new Set(['budget_usd_exhausted']));
    // Binding: not every request could run.
    expect(deadReasons.size).toBeGreaterThan(1);
    expect(report.routed).toBeGreaterThan(0);

    const { budget, reservations, decisions } = await withClient(info.adminUrl, async (c) => ({
      budget: (await c.query<{ limit_nano: string; committed_nano: string; spent_nano: string }>('SELECT limit_nano, committed_nano, spent_nano FROM switchyard.usd_budgets WHERE scope = $1', [`job:${jobId}`])).rows[0]!,
      reservations: (await c.query<{ request_id: string; state: string; amount_nano: string }>('SELECT request_id, state, amount_nano FROM switchyard.usd_reservations WHERE scope = $1', [`job:${jobId}`])).rows,
      decisions: (await c.query<{ request_id: string; outcome: string; reason: string | null }>('SELECT request_id, outcome, reason FROM switchyard.decisions WHERE job_id = $1', [jobId])).rows,
    }));
    const routedIds = reader.routed.flatMap(({ batch }) => batch.requests.map((q) => q.requestId));
    // Every routed request reserved and is now settled; nothing else holds the budget.
    expect(reservations.filter((r) => r.state === 'settled').map((r) => r.request_id).sort()).toEqual([...routedIds].sort());
    expect(reservations.filter((r) => r.state === 'reserved')).toEqual([]);
    const trueCostsNano = reservations.reduce((s, r) => s + Number(r.amount_nano), 0);
    expect(trueCostsNano).toBeLessThanOrEqual(Number(budget.limit_nano));
    expect(Number(budget.committed_nano)).toBeLessThanOrEqual(Number(budget.limit_nano));
    expect([...settled.values()].reduce((s, c) => s + c, 0)).toBeLessThanOrEqual(BUDGET_USD);
    // The budget was used, not just refused: the routed requests spent most of it.
    expect(trueCostsNano).toBeGreaterThan(0.5 * Number(budget.limit_nano));
    // The decision rows of refused requests carry the same reason as their dead letters.
    const rowOf = new Map(decisions.map((d) => [d.request_id, d]));
    for (const [id, reason] of deadReasons) expect(rowOf.get(id)).toMatchObject({ outcome: 'rejected', reason });
  });
});
