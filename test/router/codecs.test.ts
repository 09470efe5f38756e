// Records from a producer the project did not write, with every codec Kafka producers use:
// Kafka's Java producer writes requests with gzip, snappy, lz4 and zstd, and the router routes
// each exactly once (lz4 used to stop the router with KafkaJSNotImplemented on every restart).
// Then a record batch the router cannot decode (its zstd codec made to fail, as a missing or
// broken codec does) and a record past every size limit sit between readable ones in one
// partition: the router dead-letters each offset of the batch with reason unreadable_batch and
// the large one as oversized_prompt, routes what follows, and keeps running.
import { afterAll, describe, expect, it } from 'vitest';
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import type { Consumer, Kafka } from 'kafkajs';
import { pino } from 'pino';
import { AvroSerde, contracts, createRegistryClient } from '@switchyard/contracts';
import type { DeadLetterV1, RequestV1, RoutedBatchV1 } from '@switchyard/contracts';
import { loadConfig } from '@switchyard/config';
import { compileRouterConfig, parseRouterServiceConfig, startRouter } from '@switchyard/router';
import type { RouterHandle } from '@switchyard/router';
import { createKafka, eventually, stack, uniqueName, withClient } from '../support/index.ts';
import { javaProduce } from '../support/java-producer.ts';
import type { JavaCodec } from '../support/java-producer.ts';

interface Outputs {
  routedIds: string[];
  dead: DeadLetterV1[];
  failures: string[];
}

function topicsOf(prefix: string) {
  return { requests: `${prefix}.requests`, deferred: `${prefix}.deferred`, deadLetter: `${prefix}.dlq`, routedTemplate: `${prefix}.routed.{model}` };
}

function routerConfig(prefix: string) {
  const info = stack();
  const shared = loadConfig(
    {},
    {
      kafka: { brokers: info.kafkaBrokers, clientId: prefix, retry: { initialDelayMs: 100, maxDelayMs: 2_000, maxRetries: 8 } },
      registry: { url: info.registryUrl },
      postgres: { connectionString: info.postgresUrl, maxConnections: 2 },
      topics: { ...topicsOf(prefix), partitions: 1, replicationFactor: 1 },
      models: [
        { name: `${prefix}-a`, tokensPerMinute: 50_000_000, maxBatchTokens: 6_000, maxBatchRequests: 40 },
        { name: `${prefix}-b`, tokensPerMinute: 50_000_000, maxBatchTokens: 6_000, maxBatchRequests: 40 },
      ],
      batching: { flushIntervalMs: 300 },
      workers: { poolSize: 1 },
      scoring: { backend: 'ts' },
      router: { instanceId: 'codecs', policy: { policy: 'resolving-dual' } },
      log: { level: 'warn' },
    },
  );
  const service = parseRouterServiceConfig({
    reference: { source: 'synthetic', nHistory: 400, seed: 3 },
    embedding: { dim: 64 },
    ann: { kind: 'exact' },
    ledger: 'local',
    httpPort: 0,
    httpHost: '127.0.0.1',
  });
  return compileRouterConfig(shared, service);
}

function requests(prefix: string, tag: string, n: number): RequestV1[] {
  return Array.from({ length: n }, (_, i) => ({
    requestId: `${prefix}-${tag}-${i}`,
    jobId: `${prefix}-job`,
    tenant: 't',
    prompt: `request ${i} written with ${tag}: explain why the sky is blue in ${i % 7} sentences`,
    embedding: null,
    promptTokens: null,
    maxOutputTokens: 64,
    priority: 0,
    deadline: null,
    allowedModels: null,
    metadata: {},
    submittedAt: Date.now(),
  }));
}

async function readOutputs(kafka: Kafka, prefix: string, consumers: Consumer[]): Promise<Outputs> {
  const t = topicsOf(prefix);
  const registry = createRegistryClient({ url: stack().registryUrl });
  const dlq = await AvroSerde.forTopic(registry, t.deadLetter, contracts.deadLetter);
  const routed: Record<string, AvroSerde<RoutedBatchV1>> = {};
  for (const m of ['a', 'b']) routed[`${prefix}.routed.${prefix}-${m}`] = await AvroSerde.forTopic(registry, `${prefix}.routed.${prefix}-${m}`, contracts.routedBatch);
  const out: Outputs = { routedIds: [], dead: [], failures: [] };
  const reader = kafka.consumer({ groupId: uniqueName(`${prefix}-reader`), readUncommitted: false, maxWaitTimeInMs: 300 });
  consumers.push(reader);
  await reader.connect();
  await reader.subscribe({ topics: [t.deadLetter, ...Object.keys(routed)], fromBeginning: true });
  await reader.run({
    eachMessage: async ({ topic, message }) => {
      if (topic === t.deadLetter) {
        const d = await dlq.decode(message.value);
        if (d.ok) out.dead.push(d.value);
        else out.failures.push(d.detail);
        return;
      }
      const d = await routed[topic]!.decode(message.value);
      if (d.ok) out.routedIds.push(...d.value.requests.map((r) => r.requestId));
      else out.failures.push(d.detail);
    },
  });
  return out;
}

function counts(ids: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const id of ids) m.set(id, (m.get(id) ?? 0) + 1);
  return m;
}

describe('router: every codec, and no batch stops a partition', () => {
  const prefixes: string[] = [];
  const routers: RouterHandle[] = [];
  const consumers: Consumer[] = [];
  const kafka = createKafka(uniqueName('codecs'));
  const logger = pino({ level: 'silent' });

  afterAll(async () => {
    for (const c of consumers) await c.disconnect().catch(() => undefined);
    for (const r of routers) await r.stop().catch(() => undefined);
    const admin = kafka.admin();
    await admin.connect();
    const all = await admin.listTopics();
    await admin.deleteTopics({ topics: all.filter((t) => prefixes.some((p) => t.startsWith(p))) }).catch(() => undefined);
    await admin.disconnect();
    await withClient(stack().adminUrl, async (c) => {
      for (const p of prefixes) await c.query('DELETE FROM switchyard.decisions WHERE job_id LIKE $1', [`${p}%`]);
    });
  });

  it('routes gzip, snappy, lz4 and zstd records from the Java producer exactly once', { timeout: 240_000 }, async () => {
    const prefix = uniqueName('codecs');
    prefixes.push(prefix);
    const router = await startRouter(routerConfig(prefix), { logger, defaultMetrics: false });
    routers.push(router);
    let failed: unknown = null;
    router.done.catch((err: unknown) => (failed = err));
    const serde = await AvroSerde.forTopic(createRegistryClient({ url: stack().registryUrl }), topicsOf(prefix).requests, contracts.request);
    const codecs: JavaCodec[] = ['gzip', 'snappy', 'lz4', 'zstd'];
    const sent: string[] = [];
    for (const codec of codecs) {
      const batch = requests(prefix, codec, 60);
      await javaProduce({ brokers: stack().kafkaBrokers, topic: topicsOf(prefix).requests, partition: 0, codec, records: batch.map((r) => ({ key: r.requestId, value: serde.encode(r) })) });
      sent.push(...batch.map((r) => r.requestId));
    }
    const out = await readOutputs(kafka, prefix, consumers);
    await eventually('every request routed', () => new Set(out.routedIds).size >= sent.length || out.dead.length > 0 || failed !== null, 120_000);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(failed).toBeNull();
    expect(out.failures).toEqual([]);
    expect(out.dead.map((d) => `${d.reason}: ${d.detail}`)).toEqual([]);
    const seen = counts(out.routedIds);
    expect([...seen.values()].filter((n) => n !== 1)).toEqual([]);
    expect([...seen.keys()].sort()).toEqual([...sent].sort());
  });

  it('dead-letters each offset of an unreadable batch, routes the records after it and keeps running', { timeout: 240_000 }, async () => {
    const prefix = uniqueName('poison');
    prefixes.push(prefix);
    const table = CompressionCodecs as unknown as Record<number, () => unknown>;
    const zstd = table[CompressionTypes.ZSTD]!;
    table[CompressionTypes.ZSTD] = () => ({
      compress: () => Promise.reject(new Error('unused')),
      decompress: () => Promise.reject(new Error('zstd frame is corrupt')),
    });
    try {
      // The requests topic takes records far above the broker's default 1 MB and the router's limits.
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: topicsOf(prefix).requests, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: String(8 * 1024 * 1024) }] }], waitForLeaders: true });
      await admin.disconnect();
      const router = await startRouter(routerConfig(prefix), { logger, defaultMetrics: false });
      routers.push(router);
      let failed: unknown = null;
      router.done.catch((err: unknown) => (failed = err));
      const serde = await AvroSerde.forTopic(createRegistryClient({ url: stack().registryUrl }), topicsOf(prefix).requests, contracts.request);
      const parts = [requests(prefix, 'before', 40), requests(prefix, 'poison', 40), requests(prefix, 'after', 40)];
      const codecOf: JavaCodec[] = ['gzip', 'zstd', 'gzip'];
      const huge = { ...requests(prefix, 'huge', 1)[0]!, prompt: 'x'.repeat(3 * 1024 * 1024) };
      for (let i = 0; i < parts.length; i++) {
        await javaProduce({ brokers: stack().kafkaBrokers, topic: topicsOf(prefix).requests, partition: 0, codec: codecOf[i]!, records: parts[i]!.map((r) => ({ key: r.requestId, value: serde.encode(r) })) });
        if (i === 0) {
          // A 3 MB record, past the fetch size per partition and every router limit, at offset 40.
          const producer = kafka.producer();
          await producer.connect();
          await producer.send({ topic: topicsOf(prefix).requests, messages: [{ key: huge.requestId, value: serde.encode(huge), partition: 0 }] });
          await producer.disconnect();
        }
      }
      const out = await readOutputs(kafka, prefix, consumers);
      await eventually('readable requests routed and the others dead-lettered', () => (new Set(out.routedIds).size >= 80 && out.dead.length >= 41) || failed !== null, 120_000);
      await new Promise((r) => setTimeout(r, 2_000));
      expect(failed).toBeNull();
      expect(out.failures).toEqual([]);
      const readable = [...parts[0]!, ...parts[2]!].map((r) => r.requestId);
      const seen = counts(out.routedIds);
      expect([...seen.values()].filter((n) => n !== 1)).toEqual([]);
      expect([...seen.keys()].sort()).toEqual(readable.sort());
      // Offsets: 0-39 readable, 40 the huge record, 41-80 the unreadable batch, 81-120 readable.
      const big = out.dead.filter((d) => d.sourceOffset === 40);
      expect(big.map((d) => [d.reason, d.originalKey?.toString(), d.originalValue])).toEqual([['oversized_prompt', huge.requestId, null]]);
      const unreadable = out.dead.filter((d) => d.sourceOffset !== 40);
      expect(unreadable.map((d) => d.sourceOffset).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => 41 + i));
      for (const d of unreadable) {
        expect(d).toMatchObject({ reason: 'unreadable_batch', sourceTopic: topicsOf(prefix).requests, sourcePartition: 0, originalKey: null, originalValue: null });
        expect(d.detail).toContain('zstd frame is corrupt');
      }
      // The partition moved on: the group's committed offset is past the last record.
      await admin.connect();
      const offsets = await admin.fetchOffsets({ groupId: `${prefix}.router`, topics: [topicsOf(prefix).requests] });
      await admin.disconnect();
      expect(offsets[0]!.partitions[0]!.offset).toBe('121');
    } finally {
      table[CompressionTypes.ZSTD] = zstd;
    }
  });
});
