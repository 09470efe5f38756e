// A router process killed with SIGKILL in the middle of a job, then replaced by a new process:
// read_committed consumers still see every request exactly once, and Postgres converges on the
// decisions that were committed to Kafka (rows written by the killed process for transactions
// that never committed are overwritten by the replay).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Consumer } from 'kafkajs';
import { AvroSerde, contracts, createRegistryClient } from '@switchyard/contracts';
import type { RequestV1, RoutedBatchV1 } from '@switchyard/contracts';
import { generateSyntheticDataset } from '@switchyard/datasets';
import { createKafka, eventually, stack, uniqueName, withClient } from '../support/index.ts';
import { RouterProcesses } from '../support/router-job.ts';

const N = 6_000;

describe('router: crash and restart', () => {
  const prefix = uniqueName('rtc');
  const models = [`${prefix}-a`, `${prefix}-b`];
  const jobId = `${prefix}-job`;
  const topics = { requests: `${prefix}.requests`, deferred: `${prefix}.deferred`, deadLetter: `${prefix}.dlq`, routedTemplate: `${prefix}.routed.{model}` };
  const routers = new RouterProcesses();
  const consumers: Consumer[] = [];
  let dir = '';

  afterAll(async () => {
    await routers.killAll();
    for (const c of consumers) await c.disconnect().catch(() => undefined);
    const admin = createKafka(prefix).admin();
    await admin.connect();
    const all = await admin.listTopics();
    await admin.deleteTopics({ topics: all.filter((t) => t.startsWith(prefix)) }).catch(() => undefined);
    await admin.disconnect();
    await withClient(stack().adminUrl, async (c) => {
      await c.query('DELETE FROM switchyard.decisions WHERE job_id = $1', [jobId]);
      await c.query('DELETE FROM switchyard.budget_usage WHERE rule_id LIKE $1', [`%${prefix}%`]);
    });
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('loses and duplicates nothing when a router is killed mid-job', async () => {
    const info = stack();
    dir = await mkdtemp(join(tmpdir(), 'router-crash-'));
    const configFile = join(dir, 'router.json');
    await writeFile(
      configFile,
      JSON.stringify({
        kafka: { brokers: info.kafkaBrokers, clientId: prefix, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000 },
        registry: { url: info.registryUrl },
        postgres: { connectionString: info.postgresUrl, maxConnections: 4 },
        topics: { ...topics, partitions: 3, replicationFactor: 1 },
        models: models.map((name, i) => ({ name, tokensPerMinute: 5_000_000, maxBatchTokens: 4_000 + i * 2_000, maxBatchRequests: 30 })),
        workers: { poolSize: 1 },
        scoring: { backend: 'ts' },
        router: { instanceId: 'crash', policy: { policy: 'greedy-perf' } },
        log: { level: 'warn' },
        routerService: {
          reference: { source: 'synthetic', nHistory: 800, seed: 3 },
          embedding: { dim: 64 },
          ledger: 'postgres',
          httpPort: 0,
          httpHost: '127.0.0.1',
          // Small fetches: many transactions, so the kill lands between commits.
          fetchMaxBytesPerPartition: 16 * 1024,
          scoreChunkRequests: 128,
        },
      }),
    );

    const kafka = createKafka(prefix);
    const registry = createRegistryClient({ url: info.registryUrl });
    const serde = await AvroSerde.forTopic(registry, topics.requests, contracts.request);
    const admin = kafka.admin();
    await admin.connect();
    const allTopics = [topics.requests, topics.deferred, topics.deadLetter, ...models.map((m) => `${prefix}.routed.${m}`)];
    await admin.createTopics({ topics: allTopics.map((topic) => ({ topic, numPartitions: 3 })), waitForLeaders: true });
    await admin.disconnect();
    const data = generateSyntheticDataset({ nHistory: 10, nTest: N, models: 2, seed: 5 });
    const ids: string[] = [];
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const messages = data.test.map((q, i) => {
      const r: RequestV1 = {
        requestId: `${prefix}-r${i}`,
        jobId,
        tenant: 't',
        prompt: q.prompt,
        embedding: null,
        promptTokens: null,
        maxOutputTokens: 128,
        priority: 0,
        deadline: null,
        allowedModels: null,
        metadata: {},
        submittedAt: Date.now(),
      };
      ids.push(r.requestId);
      return { key: r.requestId, value: serde.encode(r) };
    });
    for (let i = 0; i < messages.length; i += 1_000) await producer.send({ topic: topics.requests, messages: messages.slice(i, i + 1_000) });
    await producer.disconnect();

    const routedSerdes = new Map<string, AvroSerde<RoutedBatchV1>>();
    for (const m of models) routedSerdes.set(`${prefix}.routed.${m}`, await AvroSerde.forTopic(registry, `${prefix}.routed.${m}`, contracts.routedBatch));
    const routed: RoutedBatchV1[] = [];
    const reader = kafka.consumer({ groupId: uniqueName('rtc-reader'), readUncommitted: false });
    consumers.push(reader);
    await reader.connect();
    await reader.subscribe({ topics: [...routedSerdes.keys(), topics.deadLetter], fromBeginning: true });
    let deadLetters = 0;
    await reader.run({
      eachMessage: async ({ topic, message }) => {
        const serdeFor = routedSerdes.get(topic);
        if (serdeFor === undefined) {
          deadLetters += 1;
          return;
        }
        const d = await serdeFor.decode(message.value);
        if (d.ok) routed.push(d.value);
      },
    });
    const routedCount = (): number => routed.reduce((n, b) => n + b.requests.length, 0);

    const first = routers.start(configFile, 'router-1');
    await eventually('the first router to commit some batches', () => routedCount() >= 300, 120_000);
    first.kill('SIGKILL');
    await new Promise<void>((resolve) => first.once('exit', () => resolve()));
    const beforeRestart = routedCount();
    expect(beforeRestart).toBeLessThan(N);

    const second = routers.start(configFile, 'router-2');
    await eventually('every request routed after the restart', () => new Set(routed.flatMap((b) => b.requests.map((q) => q.requestId))).size >= N, 180_000);
    await new Promise((r) => setTimeout(r, 3_000));
    second.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => second.once('exit', (c) => resolve(c)));
    expect(code).toBe(0);

    const seen = routed.flatMap((b) => b.requests.map((q) => q.requestId));
    console.log(`[router crash test] routed before kill ${beforeRestart}, after ${seen.length}, batches ${routed.length}, dead letters ${deadLetters}`);
    expect(deadLetters).toBe(0);
    expect(seen.length).toBe(N);
    expect(new Set(seen)).toEqual(new Set(ids));

    const batchOf = new Map<string, string>();
    for (const b of routed) for (const q of b.requests) batchOf.set(q.requestId, b.batchId);
    const rows = await withClient(info.adminUrl, async (c) =>
      (await c.query<{ request_id: string; batch_id: string | null }>('SELECT request_id, batch_id FROM switchyard.decisions WHERE job_id = $1', [jobId])).rows,
    );
    expect(rows.length).toBe(N);
    const mismatched = rows.filter((r) => r.batch_id !== batchOf.get(r.request_id));
    expect(mismatched).toEqual([]);
  });
});
