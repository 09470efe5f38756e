// The router against the real stack: two instances in one consumer group route a job of
// 10,000 requests (plus bad events mixed in) under tight token windows. Invariants checked on
// what read_committed consumers see and on Postgres:
// - every good request ends exactly once in a routed.<model> batch or in the dead-letter topic
//   (a deferred request shows up in the deferred topic first, then exactly once downstream);
// - no batch exceeds its token or request bound;
// - no budget window (per model per minute, per tenant per minute) is exceeded;
// - Postgres holds one decision per good request, matching the batch it was committed in;
// - every bad event is dead-lettered with the right reason, its source offset and its bytes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import { AvroSerde, contracts, createRegistryClient, encodeWire } from '@switchyard/contracts';
import type { DeadLetterV1, DeferredV1, RequestV1, RoutedBatchV1 } from '@switchyard/contracts';
import { loadConfig } from '@switchyard/config';
import { generateSyntheticDataset } from '@switchyard/datasets';
import { compileRouterConfig, parseRouterServiceConfig, startRouter } from '@switchyard/router';
import type { RouterHandle } from '@switchyard/router';
import { pino } from 'pino';
import { createKafka, eventually, stack, uniqueName, withClient } from '../support/index.ts';

const N_GOOD = 10_000;
const MINUTE_MS = 60_000;

interface Routed {
  batch: RoutedBatchV1;
  topic: string;
}

describe('router: exactly once under token budgets', () => {
  const prefix = uniqueName('rt');
  const models = [`${prefix}-a`, `${prefix}-b`, `${prefix}-c`];
  const jobId = `${prefix}-job`;
  const tight = `${prefix}-tight`;
  const topics = {
    requests: `${prefix}.requests`,
    deferred: `${prefix}.deferred`,
    deadLetter: `${prefix}.dlq`,
    routedTemplate: `${prefix}.routed.{model}`,
  };
  const modelCfg = [
    { name: models[0]!, tokensPerMinute: 1_200_000, maxBatchTokens: 6_000, maxBatchRequests: 40 },
    // Small minute window: its first-choice traffic must fall back to the others.
    { name: models[1]!, tokensPerMinute: 100_000, maxBatchTokens: 3_000, maxBatchRequests: 25 },
    { name: models[2]!, tokensPerMinute: 1_200_000, maxBatchTokens: 8_000, maxBatchRequests: 64 },
  ];
  const tenantCapPerMinute = 6_000;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  const routers: RouterHandle[] = [];
  const consumers: Consumer[] = [];

  const good = new Map<string, RequestV1>();
  /** offset-independent description of each bad event: value bytes -> expected reason */
  const bad: { key: string; value: Buffer; reason: string }[] = [];

  function configFor(instance: string) {
    const info = stack();
    const shared = loadConfig(
      {},
      {
        kafka: { brokers: info.kafkaBrokers, clientId: prefix, retry: { initialDelayMs: 100, maxDelayMs: 2_000, maxRetries: 8 } },
        registry: { url: info.registryUrl },
        postgres: { connectionString: info.postgresUrl, maxConnections: 4 },
        topics: { ...topics, partitions: 4, replicationFactor: 1 },
        models: modelCfg,
        budgets: { tenants: { [tight]: { tokensPerMinute: tenantCapPerMinute } }, jobs: {} },
        batching: { flushIntervalMs: 500 },
        workers: { poolSize: 1 },
        scoring: { backend: 'ts' },
        router: { instanceId: instance, policy: { policy: 'resolving-dual' }, maxPromptChars: 20_000, maxPromptTokens: 1_500, maxDeferrals: 1 },
        log: { level: 'warn' },
      },
    );
    const service = parseRouterServiceConfig({
      reference: { source: 'synthetic', nHistory: 1_500, seed: 7 },
      embedding: { dim: 128 },
      ann: { kind: 'hnsw', k: 5 },
      ledger: 'postgres',
      httpPort: 0,
      httpHost: '127.0.0.1',
      scoreChunkRequests: 256,
      sessionTimeoutMs: 30_000,
    });
    return compileRouterConfig(shared, service);
  }

  beforeAll(async () => {
    kafka = createKafka(prefix);
    admin = kafka.admin();
    await admin.connect();
    const logger = pino({ level: 'warn' });
    // Two instances in one group: partitions split between them, budgets shared via Postgres.
    for (const instance of ['r1', 'r2']) routers.push(await startRouter(configFor(instance), { logger: logger.child({ instance }), defaultMetrics: false }));
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
  });

  afterAll(async () => {
    for (const c of consumers) await c.disconnect().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    for (const r of routers) await r.stop();
    const all = await admin.listTopics();
    await admin.deleteTopics({ topics: all.filter((t) => t.startsWith(prefix)) }).catch(() => undefined);
    await admin.disconnect();
    await withClient(stack().adminUrl, async (c) => {
      await c.query('DELETE FROM switchyard.decisions WHERE job_id LIKE $1', [`${prefix}%`]);
      await c.query('DELETE FROM switchyard.budget_usage WHERE rule_id LIKE $1', [`%${prefix}%`]);
    });
  });

  it('routes every request exactly once within every bound and budget, and dead-letters bad events', async () => {
    const info = stack();
    const registry = createRegistryClient({ url: info.registryUrl });
    const serde = await AvroSerde.forTopic(registry, topics.requests, contracts.request);
    const now = Date.now();
    const data = generateSyntheticDataset({ nHistory: 10, nTest: N_GOOD, models: 3, seed: 11 });
    for (let i = 0; i < N_GOOD; i++) {
      const q = data.test[i]!;
      const tenant = i % 20 === 0 ? tight : `${prefix}-t${i % 3}`;
      const req: RequestV1 = {
        requestId: `${prefix}-r${i}`,
        jobId,
        tenant,
        prompt: q.prompt,
        embedding: null,
        promptTokens: i % 2 === 0 ? null : q.promptTokens,
        maxOutputTokens: 64 + (i % 5) * 32,
        priority: i % 7 === 0 ? 5 : 0,
        // Some tight-tenant requests must finish within seconds: deferring them to the next
        // minute would miss the deadline, so they are rejected once their budget is gone.
        deadline: tenant === tight && i % 3 === 0 ? now + 5_000 : null,
        allowedModels: i % 11 === 0 ? [models[0]!, models[2]!] : null,
        metadata: { i: String(i) },
        submittedAt: now,
      };
      good.set(req.requestId, req);
    }
    const base = { ...[...good.values()][1]!, requestId: `${prefix}-bad`, jobId: `${prefix}-bad-job`, deadline: null };
    const addBad = (name: string, value: Buffer, reason: string): void => void bad.push({ key: `${prefix}-${name}`, value, reason });
    addBad('garbage', Buffer.from('not avro at all'), 'undecodable');
    addBad('unknown-id', encodeWire(987_654_321, Buffer.from([0, 1, 2])), 'unknown_schema');
    addBad('truncated', serde.encode(base).subarray(0, 12), 'undecodable');
    addBad('nan', serde.encode({ ...base, requestId: `${prefix}-nan`, prompt: null, embedding: Array.from({ length: 128 }, (_, j) => (j === 3 ? Number.NaN : 0.1)) }), 'nan_embedding');
    addBad('dim', serde.encode({ ...base, requestId: `${prefix}-dim`, embedding: [0.1, 0.2, 0.3] }), 'wrong_dimension');
    addBad('chars', serde.encode({ ...base, requestId: `${prefix}-chars`, prompt: 'x'.repeat(20_001) }), 'oversized_prompt');
    addBad('tokens', serde.encode({ ...base, requestId: `${prefix}-tokens`, promptTokens: null, prompt: Array.from({ length: 2_500 }, (_, j) => `w${j}q`).join(' ') }), 'oversized_prompt');
    addBad('model', serde.encode({ ...base, requestId: `${prefix}-model`, allowedModels: ['no-such-model'] }), 'unknown_model');
    addBad('empty-id', serde.encode({ ...base, requestId: '' }), 'invalid_field');
    addBad('late', serde.encode({ ...base, requestId: `${prefix}-late`, deadline: now - 1_000 }), 'deadline_passed');
    addBad('missing', serde.encode({ ...base, requestId: `${prefix}-missing`, prompt: null, embedding: null }), 'missing_input');

    const messages = [...good.values()].map((r) => ({ key: r.requestId, value: serde.encode(r) }));
    bad.forEach((b, j) => messages.splice(500 + j * 900, 0, { key: b.key, value: b.value }));
    for (let i = 0; i < messages.length; i += 1_000) {
      await producer.send({ topic: topics.requests, messages: messages.slice(i, i + 1_000) });
    }

    // read_committed readers of everything the router writes
    const deferredSerde = await AvroSerde.forTopic(registry, topics.deferred, contracts.deferred);
    const dlqSerde = await AvroSerde.forTopic(registry, topics.deadLetter, contracts.deadLetter);
    const routedSerdes = new Map<string, AvroSerde<RoutedBatchV1>>();
    for (const m of models) routedSerdes.set(`${prefix}.routed.${m}`, await AvroSerde.forTopic(registry, `${prefix}.routed.${m}`, contracts.routedBatch));
    const routed: Routed[] = [];
    const deferred: DeferredV1[] = [];
    const dead: DeadLetterV1[] = [];
    const reader = kafka.consumer({ groupId: uniqueName('rt-reader'), readUncommitted: false });
    consumers.push(reader);
    await reader.connect();
    await reader.subscribe({ topics: [topics.deferred, topics.deadLetter, ...routedSerdes.keys()], fromBeginning: true });
    const decodeFailures: string[] = [];
    await reader.run({
      eachMessage: async ({ topic, message }) => {
        if (topic === topics.deferred) {
          const d = await deferredSerde.decode(message.value);
          if (d.ok) deferred.push(d.value);
          else decodeFailures.push(`${topic}: ${d.detail}`);
        } else if (topic === topics.deadLetter) {
          const d = await dlqSerde.decode(message.value);
          if (d.ok) dead.push(d.value);
          else decodeFailures.push(`${topic}: ${d.detail}`);
        } else {
          const d = await routedSerdes.get(topic)!.decode(message.value);
          if (d.ok) routed.push({ batch: d.value, topic });
          else decodeFailures.push(`${topic}: ${d.detail}`);
        }
      },
    });

    const finalIds = (): string[] => [
      ...routed.flatMap((r) => r.batch.requests.map((q) => q.requestId)),
      ...dead.map((d) => d.originalKey?.toString('utf8') ?? ''),
    ];
    // Deferred requests come back after the next minute boundary, so this can take over a minute.
    await eventually('every request routed or dead-lettered', () => new Set(finalIds()).size >= good.size + bad.length, 200_000);
    // A little longer, so a duplicate committed late would be seen too.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(decodeFailures).toEqual([]);

    const summary = {
      routed: routed.reduce((n, r) => n + r.batch.requests.length, 0),
      batches: routed.length,
      deferred: deferred.length,
      deadLetters: Object.fromEntries([...new Set(dead.map((d) => d.reason))].map((r) => [r, dead.filter((d) => d.reason === r).length])),
      fallbacks: routed.reduce((n, r) => n + r.batch.requests.filter((q) => q.fallbackRank > 0).length, 0),
    };
    console.log(`[router test] ${JSON.stringify(summary)}`);
    // Batches are filled by size within a slice, not sealed one request at a time.
    expect(summary.routed / summary.batches).toBeGreaterThan(2);

    // exactly once across routed topics and the dead-letter topic
    const ids = finalIds();
    const counts = new Map<string, number>();
    for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
    const duplicated = [...counts].filter(([, n]) => n > 1);
    expect(duplicated).toEqual([]);
    for (const id of good.keys()) expect(counts.get(id), id).toBe(1);
    expect(ids.length).toBe(good.size + bad.length);

    // deferred ones came back exactly once (routed or dead-lettered, counted above)
    for (const d of deferred) expect(good.has(d.request.requestId)).toBe(true);
    expect(deferred.length).toBeGreaterThan(0);

    const strangers = routed.flatMap(({ batch }) => batch.requests.filter((q) => !good.has(q.requestId)).map((q) => q.requestId));
    expect(strangers).toEqual([]);

    // bounds and budgets
    const byModel = new Map(modelCfg.map((m) => [m.name, m]));
    const windowUse = new Map<string, number>();
    const tenantUse = new Map<string, number>();
    for (const { batch, topic } of routed) {
      const m = byModel.get(batch.model)!;
      expect(topic).toBe(`${prefix}.routed.${batch.model}`);
      expect(batch.requests.length).toBeGreaterThan(0);
      expect(batch.requests.length).toBeLessThanOrEqual(m.maxBatchRequests);
      expect(batch.totalEstimatedTokens).toBeLessThanOrEqual(m.maxBatchTokens);
      expect(batch.requests.reduce((s, q) => s + q.estimatedTokens, 0)).toBe(batch.totalEstimatedTokens);
      const w = Math.floor(batch.createdAt / MINUTE_MS);
      windowUse.set(`${batch.model}|${w}`, (windowUse.get(`${batch.model}|${w}`) ?? 0) + batch.totalEstimatedTokens);
      for (const q of batch.requests) {
        const original = good.get(q.requestId)!;
        if (original.allowedModels !== null) expect(original.allowedModels).toContain(batch.model);
        if (q.tenant === tight) tenantUse.set(`${w}`, (tenantUse.get(`${w}`) ?? 0) + q.estimatedTokens);
      }
    }
    for (const [key, used] of windowUse) expect(used, key).toBeLessThanOrEqual(byModel.get(key.split('|')[0]!)!.tokensPerMinute);
    for (const [w, used] of tenantUse) expect(used, `tenant window ${w}`).toBeLessThanOrEqual(tenantCapPerMinute);
    // the small model's window forced fallbacks
    expect(routed.some(({ batch }) => batch.requests.some((q) => q.fallbackRank > 0))).toBe(true);

    // dead letters: bad events with the right reason, offset and original bytes
    const dlqByKey = new Map(dead.map((d) => [d.originalKey?.toString('utf8') ?? '', d]));
    for (const b of bad) {
      const d = dlqByKey.get(b.key);
      expect(d, b.key).toBeDefined();
      expect({ key: b.key, reason: d!.reason }).toEqual({ key: b.key, reason: b.reason });
      expect(Buffer.compare(d!.originalValue!, b.value)).toBe(0);
      expect(d!.sourceTopic).toBe(topics.requests);
      expect(d!.sourceOffset).toBeGreaterThanOrEqual(0);
    }
    const goodDead = dead.filter((d) => good.has(d.originalKey?.toString('utf8') ?? ''));
    for (const d of goodDead) expect(['deadline_passed', 'max_deferrals_exceeded', 'no_feasible_model']).toContain(d.reason);

    // Postgres: one decision per good request, agreeing with Kafka
    const batchOf = new Map<string, { batchId: string; model: string }>();
    for (const { batch } of routed) for (const q of batch.requests) batchOf.set(q.requestId, { batchId: batch.batchId, model: batch.model });
    const rows = await withClient(info.adminUrl, async (c) =>
      (await c.query<{ request_id: string; outcome: string; model: string | null; batch_id: string | null }>(
        'SELECT request_id, outcome, model, batch_id FROM switchyard.decisions WHERE job_id = $1',
        [jobId],
      )).rows,
    );
    expect(rows.length).toBe(good.size);
    for (const row of rows) {
      const inKafka = batchOf.get(row.request_id);
      if (inKafka !== undefined) {
        expect({ id: row.request_id, outcome: row.outcome, batch: row.batch_id }).toEqual({ id: row.request_id, outcome: 'routed', batch: inKafka.batchId });
      } else {
        expect({ id: row.request_id, outcome: row.outcome }).toEqual({ id: row.request_id, outcome: 'rejected' });
      }
    }
    const usage = await withClient(info.adminUrl, async (c) =>
      (await c.query<{ used_tokens: string; limit_tokens: string }>('SELECT used_tokens, limit_tokens FROM switchyard.budget_usage WHERE rule_id LIKE $1', [`%${prefix}%`])).rows,
    );
    expect(usage.length).toBeGreaterThan(0);
    for (const u of usage) expect(Number(u.used_tokens)).toBeLessThanOrEqual(Number(u.limit_tokens));

    // metrics are exposed
    const metrics = await (await fetch(`http://127.0.0.1:${routers[0]!.httpPort}/metrics`)).text();
    expect(metrics).toMatch(/router_routed_total\{model="/);
    expect((await fetch(`http://127.0.0.1:${routers[0]!.httpPort}/readyz`)).status).toBe(200);
  });
});
