// The fuzz corpus (corpus.ts) mixed into valid traffic against the real router on the real
// stack. What read_committed consumers and Postgres must show afterwards:
// - every bad event exactly once in the dead-letter topic, with its reason, source topic,
//   original key, value (null for a tombstone) and headers; only a record as large as the topic
//   takes arrives without its value (the envelope would not fit), naming where it is;
// - every good event exactly once in a routed.<model> batch, unchanged (prompt, ids, metadata),
//   and never in the dead-letter topic;
// - SQL-looking ids stored verbatim in switchyard.decisions (parameterised writes), the tables
//   still there, written through the writer role (the analyst role cannot delete them);
// - the router alive and ready (/healthz, /readyz) and not failed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import { ConfigResourceTypes } from 'kafkajs';
import { pino } from 'pino';
import { AvroSerde, contracts, createRegistryClient } from '@switchyard/contracts';
import type { DeadLetterV1, RoutedBatchV1, RoutedRequestV1 } from '@switchyard/contracts';
import { loadConfig } from '@switchyard/config';
import { compileRouterConfig, parseRouterServiceConfig, startRouter } from '@switchyard/router';
import type { RouterHandle } from '@switchyard/router';
import { createKafka, deleteSubject, eventually, stack, uniqueName, withClient } from '../support/index.ts';
import { FUZZ_WRITER_SCHEMAS, atTopicLimit, buildCorpus, deferredTopicEvents, packedBatch, summarize } from './corpus.ts';
import type { FuzzEvent, FuzzSchemaName } from './corpus.ts';

const limits = { embeddingDim: 32, maxPromptChars: 20_000, maxPromptTokens: 4_000, maxBatchTokens: 3_000 };

describe('router: fuzz corpus to the dead-letter topic', () => {
  const prefix = uniqueName('fz');
  const models = [`${prefix}-a`, `${prefix}-b`];
  const topics = {
    requests: `${prefix}.requests`,
    deferred: `${prefix}.deferred`,
    deadLetter: `${prefix}.dlq`,
    routedTemplate: `${prefix}.routed.{model}`,
  };
  const routedTopics = models.map((m) => `${prefix}.routed.${m}`);
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let router: RouterHandle;
  let routerFailed: unknown = null;
  const consumers: Consumer[] = [];
  const subjects: string[] = [];

  beforeAll(async () => {
    const info = stack();
    kafka = createKafka(prefix);
    admin = kafka.admin();
    await admin.connect();
    const shared = loadConfig(
      {},
      {
        kafka: { brokers: info.kafkaBrokers, clientId: prefix, retry: { initialDelayMs: 100, maxDelayMs: 2_000, maxRetries: 6 } },
        registry: { url: info.registryUrl },
        postgres: { connectionString: info.postgresUrl, maxConnections: 4 },
        topics: { ...topics, partitions: 3, replicationFactor: 1 },
        models: models.map((name) => ({ name, tokensPerMinute: 50_000_000, maxBatchTokens: limits.maxBatchTokens, maxBatchRequests: 50 })),
        batching: { flushIntervalMs: 500 },
        workers: { poolSize: 1 },
        scoring: { backend: 'ts' },
        router: { instanceId: 'fz', policy: { policy: 'greedy-perf' }, maxPromptChars: limits.maxPromptChars, maxPromptTokens: limits.maxPromptTokens, maxDeferrals: 1 },
        log: { level: 'warn' },
      },
    );
    const service = parseRouterServiceConfig({
      reference: { source: 'synthetic', nHistory: 500, seed: 3 },
      embedding: { dim: limits.embeddingDim },
      ann: { kind: 'exact', k: 5 },
      ledger: 'local',
      httpPort: 0,
      httpHost: '127.0.0.1',
      scoreChunkRequests: 256,
    });
    router = await startRouter(compileRouterConfig(shared, service), { logger: pino({ level: 'warn' }), defaultMetrics: false });
    router.done.catch((err: unknown) => {
      routerFailed = err;
    });
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
  });

  afterAll(async () => {
    for (const c of consumers) await c.disconnect().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    await router?.stop().catch(() => undefined);
    const all = await admin.listTopics();
    await admin.deleteTopics({ topics: all.filter((t) => t.startsWith(prefix)) }).catch(() => undefined);
    await admin.disconnect();
    for (const s of subjects) await deleteSubject(stack(), s).catch(() => undefined);
    await withClient(stack().adminUrl, async (c) => {
      await c.query("DELETE FROM switchyard.decisions WHERE starts_with(job_id, $1)", [prefix]);
    });
  });

  it('dead-letters every bad event once with its reason and bytes, routes every good one once, and stays healthy', async () => {
    const t0 = Date.now();
    const info = stack();
    const registry = createRegistryClient({ url: info.registryUrl });
    const serde = await AvroSerde.forTopic(registry, topics.requests, contracts.request, { autoRegister: false });
    const schemaIds = {} as Record<FuzzSchemaName, number>;
    for (const [name, schema] of Object.entries(FUZZ_WRITER_SCHEMAS)) {
      const subject = `${prefix}.${name}-value`;
      subjects.push(subject);
      schemaIds[name as FuzzSchemaName] = await registry.register(subject, { schemaType: 'AVRO', schema }, false);
    }
    // The largest record the requests topic takes, less room for the record's own framing.
    const described = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topics.requests, configNames: ['max.message.bytes'] }], includeSynonyms: false });
    const maxMessageBytes = Number(described.resources[0]!.configEntries.find((e) => e.configName === 'max.message.bytes')!.configValue);
    // The fuzz corpus, plus one produce batch whose dead letters outgrow the batch limit.
    const packed = packedBatch({ prefix, totalBytes: maxMessageBytes - 24_000 });
    const fuzz = buildCorpus({
      seed: 20_261_123,
      prefix,
      nowMs: Date.now(),
      requestSchemaId: serde.schemaId,
      schemaIds,
      limits: { ...limits, models },
      hugeValueBytes: maxMessageBytes - 2_048,
    });
    // And one record as large as the topic takes (batch and record framing aside).
    const atLimit = atTopicLimit({ prefix, valueBytes: maxMessageBytes - 160 - Buffer.byteLength(`${prefix}-limit`) });
    // And events on the deferred topic, which the router reads as input too.
    const deferredSerde = await AvroSerde.forTopic(registry, topics.deferred, contracts.deferred, { autoRegister: false });
    const onDeferred = deferredTopicEvents({ prefix, nowMs: Date.now(), deferredSchemaId: deferredSerde.schemaId });
    const corpus = [...fuzz, ...packed, atLimit, ...onDeferred];
    const byId = new Map(corpus.map((e) => [e.id, e]));
    const bad = corpus.filter((e) => e.expect.kind === 'dead');
    const good = corpus.filter((e) => e.expect.kind === 'routed');
    const goodByRequestId = new Map(good.map((e) => [e.request!.requestId, e]));
    expect(goodByRequestId.size).toBe(good.length);

    const message = (e: FuzzEvent) => ({ key: e.key, value: e.value, headers: { 'fuzz-id': e.id } });
    const small = fuzz.filter((e) => (e.value?.length ?? 0) < 100_000);
    for (let i = 0; i < small.length; i += 250) await producer.send({ topic: topics.requests, messages: small.slice(i, i + 250).map(message) });
    // One record per request for the big ones: a produce batch above the limit is refused.
    for (const e of fuzz.filter((x) => (x.value?.length ?? 0) >= 100_000)) await producer.send({ topic: topics.requests, messages: [message(e)] });
    await producer.send({ topic: topics.requests, messages: packed.map(message) });
    await producer.send({ topic: topics.requests, messages: [message(atLimit)] });
    await producer.send({ topic: topics.deferred, messages: onDeferred.map(message) });

    const dlqSerde = await AvroSerde.forTopic(registry, topics.deadLetter, contracts.deadLetter, { autoRegister: false });
    const routedSerdes = new Map<string, AvroSerde<RoutedBatchV1>>();
    for (const t of routedTopics) routedSerdes.set(t, await AvroSerde.forTopic(registry, t, contracts.routedBatch, { autoRegister: false }));
    const dead: DeadLetterV1[] = [];
    const routed: { model: string; request: RoutedRequestV1 }[] = [];
    const decodeFailures: string[] = [];
    const reader = kafka.consumer({ groupId: uniqueName('fz-reader'), readUncommitted: false, maxBytesPerPartition: 4 * 1024 * 1024 });
    consumers.push(reader);
    await reader.connect();
    await reader.subscribe({ topics: [topics.deadLetter, ...routedTopics], fromBeginning: true });
    await reader.run({
      eachMessage: async ({ topic, message: m }) => {
        if (topic === topics.deadLetter) {
          const d = await dlqSerde.decode(m.value);
          if (d.ok) dead.push(d.value);
          else decodeFailures.push(`${topic}: ${d.detail}`);
        } else {
          const d = await routedSerdes.get(topic)!.decode(m.value);
          if (d.ok) for (const q of d.value.requests) routed.push({ model: d.value.model, request: q });
          else decodeFailures.push(`${topic}: ${d.detail}`);
        }
      },
    });

    const fuzzIdOf = (d: DeadLetterV1): string => d.originalHeaders.find((h) => h.key === 'fuzz-id')?.value?.toString('utf8') ?? '';
    await eventually(
      'every event routed or dead-lettered',
      () => {
        if (routerFailed !== null) throw new Error(`router failed: ${String(routerFailed)}`);
        return new Set(dead.map(fuzzIdOf)).size + new Set(routed.map((r) => r.request.requestId)).size >= corpus.length;
      },
      240_000,
    );
    // A little longer, so a duplicate committed late would be seen too.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(decodeFailures).toEqual([]);
    expect(routerFailed).toBeNull();

    // Dead letters: each bad event once, its reason, its bytes; nothing else in the topic.
    const deadCount = new Map<string, number>();
    for (const d of dead) deadCount.set(fuzzIdOf(d), (deadCount.get(fuzzIdOf(d)) ?? 0) + 1);
    expect([...deadCount].filter(([, k]) => k > 1)).toEqual([]);
    expect(dead.filter((d) => !byId.has(fuzzIdOf(d))).map((d) => d.reason)).toEqual([]);
    const wrongDead: unknown[] = [];
    for (const d of dead) {
      const e = byId.get(fuzzIdOf(d))!;
      const want = e.expect.kind === 'dead' ? e.expect.reason : 'routed';
      const sameValue = e.originalKept === false
        ? d.originalValue === null && d.detail.includes('left out') && d.detail.includes(`${topics.requests}[${d.sourcePartition}]@${d.sourceOffset}`)
        : e.value === null ? d.originalValue === null : d.originalValue !== null && d.originalValue.equals(e.value);
      const sameKey = e.key === null ? d.originalKey === null : d.originalKey !== null && d.originalKey.equals(e.key);
      if (d.reason !== want || !sameValue || !sameKey || d.sourceTopic !== (e.topic === 'deferred' ? topics.deferred : topics.requests) || d.detail.length === 0) {
        wrongDead.push({ cls: e.cls, want, got: d.reason, sameValue, sameKey, detail: d.detail.slice(0, 200) });
      }
    }
    expect(wrongDead.slice(0, 10)).toEqual([]);
    expect(bad.filter((e) => !deadCount.has(e.id)).map((e) => e.cls)).toEqual([]);

    // Routed: each good request once, unchanged.
    const routedCount = new Map<string, number>();
    for (const r of routed) routedCount.set(r.request.requestId, (routedCount.get(r.request.requestId) ?? 0) + 1);
    expect([...routedCount].filter(([, k]) => k > 1)).toEqual([]);
    expect([...routedCount.keys()].filter((id) => !goodByRequestId.has(id))).toEqual([]);
    expect(good.filter((e) => !routedCount.has(e.request!.requestId)).map((e) => e.cls)).toEqual([]);
    const changed = routed.filter(({ model, request: q }) => {
      const r = goodByRequestId.get(q.requestId)!.request!;
      const allowed = r.allowedModels === null || r.allowedModels.includes(model);
      return !allowed || q.prompt !== r.prompt || q.jobId !== r.jobId || q.tenant !== r.tenant || JSON.stringify(q.metadata) !== JSON.stringify(r.metadata);
    });
    expect(changed.map((c) => c.request.requestId)).toEqual([]);

    // Postgres: ids with SQL in them stored verbatim; the tables they name still there.
    const sqlGood = good.filter((e) => e.cls === 'sql_looking_text' || e.cls === 'unicode_ids');
    const rows = await withClient(info.adminUrl, async (c) =>
      (await c.query<{ request_id: string; job_id: string; tenant: string; outcome: string }>(
        'SELECT request_id, job_id, tenant, outcome FROM switchyard.decisions WHERE request_id = ANY($1::text[])',
        [sqlGood.map((e) => e.request!.requestId)],
      )).rows,
    );
    const stored = new Map(rows.map((r) => [r.request_id, r]));
    for (const e of sqlGood) {
      const r = e.request!;
      expect(stored.get(r.requestId), r.requestId).toEqual({ request_id: r.requestId, job_id: r.jobId, tenant: r.tenant, outcome: 'routed' });
    }
    const tables = await withClient(info.adminUrl, async (c) =>
      (await c.query<{ n: string }>("SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'switchyard' AND table_name IN ('decisions', 'jobs', 'outcomes')")).rows[0]!.n,
    );
    expect(Number(tables)).toBe(3);
    const decisionCount = await withClient(info.adminUrl, async (c) =>
      Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM switchyard.decisions WHERE starts_with(job_id, $1)', [prefix])).rows[0]!.n),
    );
    // One row per good request plus the refusals that are routing decisions (a deadline already
    // passed, no model's batches can hold it); malformed and oversized events get none.
    // A deferred request was decided once already, so any refusal of it updates its row, except
    // when its ids cannot be stored at all (NUL).
    const decidedBad = bad.filter((e) => e.expect.kind === 'dead' && (['deadline_passed', 'no_feasible_model'].includes(e.expect.reason) || e.cls === 'deferred_empty_tenant')).length;
    expect(decisionCount).toBe(good.length + decidedBad);

    // The router's own connections run as the writer role, and the analyst role cannot touch
    // the rows it wrote (roles are not enforced on embedded PGlite).
    if (info.postgresKind !== 'embedded') {
      const roles = await withClient(info.adminUrl, async (c) =>
        (await c.query<{ usename: string }>('SELECT DISTINCT usename FROM pg_stat_activity WHERE application_name = $1', ['switchyard-router-fz'])).rows.map((r) => r.usename),
      );
      expect(roles).toEqual(['switchyard_writer']);
      const denied = await withClient(info.analystUrl, (c) =>
        c.query('DELETE FROM switchyard.decisions WHERE starts_with(job_id, $1)', [prefix]).then(() => null, (e: unknown) => (e as { code?: string }).code),
      );
      // 25006: read-only transaction (the analyst's default); 42501: permission denied.
      expect(['25006', '42501']).toContain(denied);
    }

    // Still alive and consuming.
    expect((await fetch(`http://127.0.0.1:${router.httpPort}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${router.httpPort}/readyz`)).status).toBe(200);

    const reasons: Record<string, number> = {};
    for (const d of dead) reasons[d.reason] = (reasons[d.reason] ?? 0) + 1;
    console.log(`[fuzz] ${corpus.length} events (${bad.length} bad, ${good.length} good), huge records ${maxMessageBytes - 2_048} bytes, ${((Date.now() - t0) / 1_000).toFixed(1)} s; dead letters by reason ${JSON.stringify(reasons)}; classes ${JSON.stringify(summarize(corpus))}`);
  });
});
