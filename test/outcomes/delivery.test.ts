// Delivery semantics of the loop under injected crashes at the worst moment: after the outputs
// are written and before the Kafka commit.
// - executor kit: a batch whose transaction aborts is executed again, yet read_committed
//   readers of the outcomes topic see exactly one outcome per request, and an undecodable
//   batch record exactly one dead letter;
// - outcome recorder: a slice already committed to Postgres whose Kafka commit fails is read
//   again, and the second write is all duplicates: one row per request and statistics that
//   count each request once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admin, Kafka } from 'kafkajs';
import { pino } from 'pino';
import { AvroSerde, contracts, createRegistryClient, sampleRoutedRequest } from '@switchyard/contracts';
import type { DeadLetterV1, OutcomeV1, RoutedBatchV1 } from '@switchyard/contracts';
import { loadConfig } from '@switchyard/config';
import { startExecutor } from '@switchyard/executor-kit';
import type { ExecutorHandle } from '@switchyard/executor-kit';
import { compileOutcomeRecorderConfig, parseOutcomeRecorderConfig, startOutcomeRecorder } from '@switchyard/outcome-recorder';
import type { OutcomeRecorderHandle } from '@switchyard/outcome-recorder';
import { createKafka, createTopics, eventually, stack, uniqueName, withClient } from '../support/index.ts';

const BATCHES = 30;
const PER_BATCH = 5;
const N = BATCHES * PER_BATCH;
const INJECTED_FAILURES = 3;

describe('outcome delivery under crashes before commit', () => {
  const prefix = uniqueName('od');
  const model = `${prefix}-m`;
  const jobId = `${prefix}-job`;
  const topics = { routed: `${prefix}.routed.m`, outcomes: `${prefix}.outcomes`, deadLetter: `${prefix}.dlq` };
  let kafka: Kafka;
  let admin: Admin;
  let dropTopics: () => Promise<void> = async () => undefined;
  let executor: ExecutorHandle | undefined;
  let recorder: OutcomeRecorderHandle | undefined;

  beforeAll(async () => {
    kafka = createKafka(prefix);
    admin = kafka.admin();
    await admin.connect();
    dropTopics = await createTopics(admin, Object.values(topics).map((topic) => ({ topic, numPartitions: 3, replicationFactor: 1 })));
  });

  afterAll(async () => {
    await executor?.stop();
    await recorder?.stop();
    await dropTopics().catch(() => undefined);
    await admin.disconnect();
    await withClient(stack().postgresUrl, async (c) => {
      await c.query('DELETE FROM switchyard.outcomes WHERE job_id = $1', [jobId]);
      await c.query('DELETE FROM switchyard.outcome_stats WHERE model = $1', [model]);
      await c.query('DELETE FROM switchyard.outcome_daily WHERE job_id = $1', [jobId]);
    });
  });

  it('executor kit: every request has exactly one committed outcome though batches were re-executed', async () => {
    const registry = createRegistryClient({ url: stack().registryUrl });
    const batchSerde = await AvroSerde.forTopic(registry, topics.routed, contracts.routedBatch);
    const batches: RoutedBatchV1[] = Array.from({ length: BATCHES }, (_, b) => ({
      batchId: `${prefix}-b${b}`,
      model,
      createdAt: Date.now(),
      routerInstance: 'r1',
      policy: 'resolving-dual',
      totalEstimatedTokens: PER_BATCH * 72,
      requests: Array.from({ length: PER_BATCH }, (_, k) =>
        sampleRoutedRequest({ requestId: `${prefix}-r${b * PER_BATCH + k}`, jobId, tenant: `${prefix}-t`, metadata: { task: `task-${k % 2}` } }),
      ),
    }));
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({
      topic: topics.routed,
      messages: [...batches.map((b) => ({ key: b.batchId, value: batchSerde.encode(b) })), { key: `${prefix}-junk`, value: Buffer.from('junk') }],
    });
    await producer.disconnect();

    let executions = 0;
    let commits = 0;
    let failuresLeft = INJECTED_FAILURES;
    executor = await startExecutor({
      kafka,
      registry,
      model,
      routedTopic: topics.routed,
      outcomesTopic: topics.outcomes,
      deadLetterTopic: topics.deadLetter,
      groupId: `${prefix}-exec`,
      transactionalIdPrefix: `${prefix}-exec`,
      retry: { initialDelayMs: 50, maxDelayMs: 500, maxRetries: 10 },
      // Fetched slices hold more batches than this: the rest of a slice is read again and
      // committed in later transactions.
      maxBatchesPerTransaction: 4,
      execute: async (batch) => {
        executions++;
        return batch.requests.map((r, k) => ({ requestId: r.requestId, quality: k % 2 === 0 ? 1 : 0.25, promptTokens: r.promptTokens, completionTokens: 10 + k, latencyMs: 3 }));
      },
      beforeCommit: () => {
        if (failuresLeft > 0) {
          failuresLeft--;
          throw new Error('injected crash before commit');
        }
        commits++;
      },
    });

    const outcomeSerde = await AvroSerde.forTopic(registry, topics.outcomes, contracts.outcome);
    const dlqSerde = await AvroSerde.forTopic(registry, topics.deadLetter, contracts.deadLetter);
    const seen: OutcomeV1[] = [];
    const dead: DeadLetterV1[] = [];
    const reader = kafka.consumer({ groupId: uniqueName('od-reader'), readUncommitted: false });
    await reader.connect();
    await reader.subscribe({ topics: [topics.outcomes, topics.deadLetter], fromBeginning: true });
    await reader.run({
      eachMessage: async ({ topic, message }) => {
        if (topic === topics.outcomes) {
          const d = await outcomeSerde.decode(message.value);
          if (d.ok) seen.push(d.value);
        } else {
          const d = await dlqSerde.decode(message.value);
          if (d.ok) dead.push(d.value);
        }
      },
    });
    try {
      await eventually('an outcome for every request', () => new Set(seen.map((o) => o.requestId)).size >= N && dead.length >= 1, 60_000);
      // Long enough for a duplicate committed late to show up too.
      await new Promise((r) => setTimeout(r, 2_000));
    } finally {
      await reader.disconnect();
    }
    expect(failuresLeft).toBe(0);
    expect(executions).toBeGreaterThan(BATCHES);
    // 31 records (30 batches and the junk one) at most 4 to a transaction.
    expect(commits).toBeGreaterThanOrEqual(Math.ceil((BATCHES + 1) / 4));
    expect(seen).toHaveLength(N);
    expect(new Set(seen.map((o) => o.requestId)).size).toBe(N);
    expect(dead.map((d) => [d.reason, d.originalKey?.toString('utf8')])).toEqual([['undecodable', `${prefix}-junk`]]);
  });

  it('outcome recorder: a slice re-read after a failed commit changes nothing in Postgres', async () => {
    const info = stack();
    const shared = loadConfig(
      {},
      {
        kafka: { brokers: info.kafkaBrokers, clientId: `${prefix}-rec`, retry: { initialDelayMs: 50, maxDelayMs: 500, maxRetries: 10 } },
        registry: { url: info.registryUrl },
        postgres: { connectionString: info.postgresUrl, maxConnections: 3 },
        topics: { outcomes: topics.outcomes, deadLetter: topics.deadLetter, partitions: 3, replicationFactor: 1 },
        models: [{ name: model, tokensPerMinute: 1_000_000, maxBatchTokens: 10_000, maxBatchRequests: 100 }],
        log: { level: 'warn' },
      },
    );
    let failuresLeft = INJECTED_FAILURES;
    recorder = await startOutcomeRecorder(compileOutcomeRecorderConfig(shared, parseOutcomeRecorderConfig({ httpHost: '127.0.0.1', httpPort: 0, consumerLagPollMs: 200 })), {
      logger: pino({ level: 'silent' }),
      beforeCommit: () => {
        if (failuresLeft > 0) {
          failuresLeft--;
          throw new Error('injected crash after the Postgres commit');
        }
      },
    });
    await eventually('every outcome recorded, and a failed slice read again', () => recorder!.counts().inserted >= N && failuresLeft === 0 && recorder!.counts().duplicates > 0, 60_000);
    const counts = recorder.counts();
    // The slices whose commit failed were written, then read and written again: duplicates.
    expect(counts.duplicates).toBeGreaterThan(0);
    expect(counts.inserted).toBe(N);
    expect(counts.replaced).toBe(0);
    await withClient(info.postgresUrl, async (c) => {
      const rows = await c.query('SELECT count(*)::int AS n, sum(versions)::int AS versions, sum(reward) AS reward FROM switchyard.outcomes WHERE job_id = $1', [jobId]);
      expect(rows.rows[0]).toMatchObject({ n: N, versions: N });
      const stats = await c.query("SELECT segment, n::int, n_reward::int, sum_reward::float8 AS sum_reward FROM switchyard.outcome_stats WHERE model = $1 ORDER BY segment", [model]);
      // Rewards: 1 for even positions in a batch (3 of 5), 0.25 for odd ones (2 of 5).
      const sum = BATCHES * (3 * 1 + 2 * 0.25);
      expect(stats.rows).toEqual([
        { segment: '*', n: N, n_reward: N, sum_reward: sum },
        { segment: 'task-0', n: BATCHES * 3, n_reward: BATCHES * 3, sum_reward: BATCHES * 3 },
        { segment: 'task-1', n: BATCHES * 2, n_reward: BATCHES * 2, sum_reward: BATCHES * 2 * 0.25 },
      ]);
      expect(Number(rows.rows[0].reward)).toBeCloseTo(sum, 9);
    });
    // The recorder's lag, as Prometheus scrapes it: every partition read to its end, transaction
    // markers of the executor's outcomes included, once everything is committed.
    const lagLines = async (): Promise<string[]> => {
      const text = await (await fetch(`http://127.0.0.1:${recorder!.httpPort}/metrics`)).text();
      return text.split('\n').filter((l) => l.startsWith(`switchyard_consumer_lag{group="${prefix}-rec.outcome-recorder",stream="outcomes",topic="${topics.outcomes}"`));
    };
    await eventually('the recorder\'s lag at 0 on every partition', async () => {
      const lines = await lagLines();
      return lines.length === 3 && lines.every((l) => l.endsWith(' 0'));
    }, 30_000);
    expect((await lagLines()).map((l) => /partition="(\d+)"/.exec(l)?.[1]).sort()).toEqual(['0', '1', '2']);
  });
});
