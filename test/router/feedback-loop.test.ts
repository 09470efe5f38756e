// Outcome feedback in the running router, on the real stack: a router routes a slice of
// requests (20 prompts, 5 times each), their outcomes are written through the outcome
// recorder's store function saying the model it preferred answered all of them badly and the
// other model well; after a poll the reference set has grown by exactly those outcomes, and
// the same prompts sent again go mostly to the other model. A second router started on the
// same database rebuilds the same knowledge from the stored outcomes and decides the same way.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { pino } from 'pino';
import { AvroSerde, contracts, createRegistryClient } from '@switchyard/contracts';
import type { RequestV1 } from '@switchyard/contracts';
import { loadConfig } from '@switchyard/config';
import { generateSyntheticDataset } from '@switchyard/datasets';
import { compileRouterConfig, parseRouterServiceConfig, startRouter } from '@switchyard/router';
import type { RouterHandle } from '@switchyard/router';
import { createPool, encodedEmbeddingBytes, recordOutcomes } from '@switchyard/store';
import type { OutcomeRecord, Pool } from '@switchyard/store';
import { createKafka, eventually, stack, uniqueName, withClient } from '../support/index.ts';

const PROMPTS = 20;
const REPEATS = 5;
const N_HISTORY = 400;
const DIM = 64;

interface Decided {
  requestId: string;
  model: string | null;
  batchId: string | null;
  promptTokens: number;
  embeddingBytes: number | null;
  rawQuality: number | null;
}

describe('router: outcome feedback', () => {
  const prefix = uniqueName('fbk');
  const models = [`${prefix}-a`, `${prefix}-b`];
  const topics = { requests: `${prefix}.requests`, deferred: `${prefix}.deferred`, deadLetter: `${prefix}.dlq`, routedTemplate: `${prefix}.routed.{model}` };
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let pool: Pool;
  let serde: AvroSerde<RequestV1>;
  const routers: RouterHandle[] = [];
  const prompts = generateSyntheticDataset({ nHistory: 10, nTest: PROMPTS, models: 2, seed: 11 }).test.map((q) => q.prompt);

  function config(instance: string) {
    const info = stack();
    const shared = loadConfig(
      {},
      {
        kafka: { brokers: info.kafkaBrokers, clientId: prefix },
        registry: { url: info.registryUrl },
        postgres: { connectionString: info.postgresUrl, maxConnections: 4 },
        topics: { ...topics, partitions: 1, replicationFactor: 1 },
        models: models.map((name) => ({ name, tokensPerMinute: 10_000_000, maxBatchTokens: 100_000, maxBatchRequests: 200 })),
        batching: { flushIntervalMs: 500 },
        workers: { poolSize: 2 },
        scoring: { backend: 'ts' },
        router: { instanceId: instance, policy: { policy: 'greedy-perf' } },
        log: { level: 'warn' },
      },
    );
    const service = parseRouterServiceConfig({
      reference: { source: 'synthetic', nHistory: N_HISTORY, seed: 3 },
      embedding: { dim: DIM },
      ann: { kind: 'exact', k: 5 },
      ledger: 'local',
      httpPort: 0,
      httpHost: '127.0.0.1',
      // No exploration bonus: a change of decisions comes from the grown knowledge base alone.
      // Polls are driven by the test (the timer would also do it, every 10 minutes here).
      feedback: { beta: 0, pollIntervalMs: 600_000 },
    });
    return compileRouterConfig(shared, service);
  }

  async function send(slice: string): Promise<string[]> {
    const now = Date.now();
    const ids: string[] = [];
    const messages = [];
    for (let r = 0; r < REPEATS; r++) {
      for (let p = 0; p < PROMPTS; p++) {
        const requestId = `${prefix}-${slice}-p${p}-r${r}`;
        ids.push(requestId);
        const req: RequestV1 = {
          requestId,
          jobId: `${prefix}-${slice}`,
          tenant: `${prefix}-t`,
          prompt: prompts[p]!,
          embedding: null,
          promptTokens: null,
          maxOutputTokens: 64,
          priority: 0,
          deadline: null,
          allowedModels: null,
          metadata: {},
          submittedAt: now,
        };
        messages.push({ key: requestId, value: serde.encode(req) });
      }
    }
    await producer.send({ topic: topics.requests, messages });
    return ids;
  }

  async function decisions(slice: string, n: number): Promise<Decided[]> {
    let rows: Decided[] = [];
    await eventually(
      `${n} decisions of ${slice}`,
      async () => {
        rows = await withClient(stack().adminUrl, async (c) =>
          (
            await c.query<{ request_id: string; model: string | null; batch_id: string | null; prompt_tokens: number; bytes: number | null; raw_quality: number | null }>(
              `SELECT request_id, model, batch_id, prompt_tokens, octet_length(feature_embedding) AS bytes, raw_quality
                 FROM switchyard.decisions WHERE job_id = $1 ORDER BY request_id`,
              [`${prefix}-${slice}`],
            )
          ).rows.map((r) => ({ requestId: r.request_id, model: r.model, batchId: r.batch_id, promptTokens: r.prompt_tokens, embeddingBytes: r.bytes, rawQuality: r.raw_quality })),
        );
        return rows.length >= n;
      },
      90_000,
    );
    return rows;
  }

  const count = (rows: readonly Decided[], model: string): number => rows.filter((r) => r.model === model).length;

  async function metric(router: RouterHandle, name: string): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${router.httpPort}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    if (line === undefined) throw new Error(`metric ${name} missing`);
    return Number(line.split(' ')[1]);
  }

  beforeAll(async () => {
    const info = stack();
    kafka = createKafka(prefix);
    admin = kafka.admin();
    await admin.connect();
    pool = createPool({ url: info.postgresUrl, poolMax: 2 });
    serde = await AvroSerde.forTopic(createRegistryClient({ url: info.registryUrl }), topics.requests, contracts.request);
    routers.push(await startRouter(config('fb1'), { logger: pino({ level: 'warn' }), defaultMetrics: false }));
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect().catch(() => undefined);
    for (const r of routers) await r.stop().catch(() => undefined);
    const all = await admin.listTopics();
    await admin.deleteTopics({ topics: all.filter((t) => t.startsWith(prefix)) }).catch(() => undefined);
    await admin.disconnect();
    await pool?.end();
    await withClient(stack().adminUrl, async (c) => {
      await c.query('DELETE FROM switchyard.decisions WHERE job_id LIKE $1', [`${prefix}%`]);
      await c.query('DELETE FROM switchyard.outcomes WHERE job_id LIKE $1', [`${prefix}%`]);
      await c.query('DELETE FROM switchyard.outcome_stats WHERE model LIKE $1', [`${prefix}%`]);
      await c.query('DELETE FROM switchyard.outcome_daily WHERE model LIKE $1', [`${prefix}%`]);
    });
  });

  it('grows the reference set by exactly the new outcomes and moves later decisions away from a model that did badly', async () => {
    const router = routers[0]!;
    expect(router.feedback).not.toBeNull();
    const fb = router.feedback!;
    const rowsBefore = fb.referenceRows();
    expect(rowsBefore).toBe(N_HISTORY);

    await send('s1');
    const first = await decisions('s1', PROMPTS * REPEATS);
    const routed = first.filter((d) => d.model !== null);
    expect(routed).toHaveLength(PROMPTS * REPEATS);
    // Each routed decision carries its features: the int8 embedding and the raw estimate.
    for (const d of routed) {
      expect(d.embeddingBytes).toBe(encodedEmbeddingBytes(DIM));
      expect(d.rawQuality).not.toBeNull();
    }
    const preferred = count(first, models[0]!) >= count(first, models[1]!) ? models[0]! : models[1]!;
    const other = preferred === models[0] ? models[1]! : models[0]!;
    const preferredBefore = count(first, preferred);

    const now = Date.now();
    const outcomes: OutcomeRecord[] = routed.map((d, i) => ({
      requestId: d.requestId,
      jobId: `${prefix}-s1`,
      tenant: `${prefix}-t`,
      model: d.model!,
      batchId: d.batchId!,
      segment: null,
      quality: d.model === preferred ? 0 : 1,
      success: null,
      promptTokens: d.promptTokens,
      completionTokens: 40,
      latencyMs: 100,
      error: null,
      costUsd: 0.0001,
      costSource: 'reported',
      completedAtMs: now,
      sourceTopic: `${prefix}.outcomes`,
      sourcePartition: 0,
      sourceOffset: String(i),
    }));
    await recordOutcomes(pool, outcomes);

    // A writing transaction still open elsewhere on the server holds the watermark back, so
    // poll until the outcomes are visible to feedback.
    await eventually(
      'the outcomes to be applied',
      async () => {
        await fb.poll();
        return fb.appliedOutcomes() >= outcomes.length;
      },
      120_000,
    );
    expect(fb.appliedOutcomes()).toBe(outcomes.length);
    expect(fb.referenceRows()).toBe(rowsBefore + outcomes.length);
    expect(await metric(router, 'router_feedback_reference_rows')).toBe(rowsBefore + outcomes.length);
    expect(await metric(router, 'router_feedback_outcomes_applied_total')).toBe(outcomes.length);
    // Every request went to the policy's own choice: each reservation was settled by its outcome.
    expect(await metric(router, 'router_feedback_reservations_settled')).toBe(outcomes.length);
    // A second poll finds nothing new: the watermark moved past them.
    expect(await fb.poll()).toBe(0);

    await send('s2');
    const second = await decisions('s2', PROMPTS * REPEATS);
    const preferredAfter = count(second, preferred);
    console.log(`[feedback test] preferred ${preferred}: ${preferredBefore} -> ${preferredAfter} of ${PROMPTS * REPEATS}`);
    expect(preferredBefore).toBeGreaterThan(0);
    expect(preferredAfter * 2).toBeLessThan(preferredBefore);
    expect(count(second, other)).toBeGreaterThan(count(first, other));

    // A new instance rebuilds the knowledge base from the stored outcomes.
    await router.stop();
    const restarted = await startRouter(config('fb2'), { logger: pino({ level: 'warn' }), defaultMetrics: false });
    routers.push(restarted);
    expect(restarted.feedback!.appliedOutcomes()).toBe(outcomes.length);
    expect(restarted.feedback!.referenceRows()).toBe(rowsBefore + outcomes.length);
    await send('s3');
    const third = await decisions('s3', PROMPTS * REPEATS);
    expect(count(third, preferred)).toBe(preferredAfter);
  });
});
