// Delivery invariants of the transactional runner on the real broker: with a handler that
// throws once and a transaction that is aborted once AFTER its records reached the log, a
// read_committed reader of the output sees every input exactly once, and the group's
// committed offset of every input partition is its last offset + 1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { TransactionalRunner, deleteTopics, ensureTopics } from '@switchyard/kafka-io';
import type { RunnerEvent } from '@switchyard/kafka-io';
import { createKafka, eventually, uniqueName } from '../support/index.ts';

const N = 300;
const PARTITIONS = 3;

interface Read {
  values: string[];
  lastOffsetByPartition: Map<number, string>;
}

/** Reads `topic` from the beginning until every partition is consumed up to its high watermark. */
async function readAll(kafka: Kafka, topic: string, readUncommitted: boolean): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const read: Read = { values: [], lastOffsetByPartition: new Map() };
  const consumer = kafka.consumer({ groupId: uniqueName('reader'), readUncommitted });
  await consumer.connect();
  try {
    consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
      read.lastOffsetByPartition.set(e.payload.partition, e.payload.lastOffset);
    });
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        read.values.push(String(message.value));
      },
    });
    await eventually(`reading ${topic} to its end`, () =>
      ends.every((p) => p.high === '0' || BigInt(read.lastOffsetByPartition.get(p.partition) ?? '-1') >= BigInt(p.high) - 1n),
    );
  } finally {
    await consumer.disconnect();
  }
  return read.values;
}

describe('TransactionalRunner', () => {
  let kafka: Kafka;
  const input = uniqueName('eos-in');
  const output = uniqueName('eos-out');
  const groupId = uniqueName('eos-group');

  beforeAll(async () => {
    kafka = createKafka(uniqueName('eos'));
    await ensureTopics(kafka, [
      { topic: input, partitions: PARTITIONS, replicationFactor: 1 },
      { topic: output, partitions: 2, replicationFactor: 1 },
    ]);
    const producer = kafka.producer();
    await producer.connect();
    // Several sends so partitions hold several fetch batches' worth of small records.
    for (let start = 0; start < N; start += 50) {
      await producer.send({
        topic: input,
        messages: Array.from({ length: 50 }, (_, i) => ({ key: `k${start + i}`, value: String(start + i) })),
      });
    }
    await producer.disconnect();
  });

  afterAll(async () => {
    await deleteTopics(kafka, [input, output]);
  });

  it('delivers every input exactly once across a handler failure and an aborted transaction', async () => {
    const events: RunnerEvent[] = [];
    const seen = new Map<string, number>();
    let handlerFailures = 0;
    let commitFailures = 0;
    let commits = 0;

    const runner = new TransactionalRunner({
      kafka,
      groupId,
      topics: [input],
      transactionalIdPrefix: uniqueName('eos-tx'),
      maxInFlightBatches: 2,
      retry: { initialDelayMs: 50, maxDelayMs: 500, maxRetries: 5 },
      onEvent: (e) => events.push(e),
      handler: async ({ messages }) => {
        for (const m of messages) seen.set(String(m.value), (seen.get(String(m.value)) ?? 0) + 1);
        if (handlerFailures === 0 && messages.some((m) => String(m.value) === '150')) {
          handlerFailures++;
          throw new Error('injected handler failure');
        }
        return {
          records: messages.map((m) => ({
            topic: output,
            key: m.key,
            value: `out-${String(m.value)}`,
            headers: { 'source-offset': m.offset },
          })),
        };
      },
      beforeCommit: () => {
        commits++;
        // The second transaction is aborted after its records and offsets were sent.
        if (commits === 2 && commitFailures === 0) {
          commitFailures++;
          throw new Error('injected commit failure');
        }
      },
    });

    await runner.start();
    const admin = kafka.admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(input);
      await eventually('all input committed', async () => {
        const [committed] = await admin.fetchOffsets({ groupId, topics: [input] });
        return ends.every((end) => committed?.partitions.find((p) => p.partition === end.partition)?.offset === end.high);
      }, 120_000);
      await runner.stop();
      await runner.done;

      // Committed offset = last offset + 1 for every input partition (input is not transactional).
      const [committed] = await admin.fetchOffsets({ groupId, topics: [input] });
      for (const end of ends) {
        const lastOffset = BigInt(end.high) - 1n;
        expect(committed?.partitions.find((p) => p.partition === end.partition)?.offset).toBe((lastOffset + 1n).toString());
      }
    } finally {
      await admin.disconnect();
    }

    expect(handlerFailures).toBe(1);
    expect(commitFailures).toBe(1);
    expect(events.filter((e) => e.type === 'aborted')).toHaveLength(2);
    // Some inputs really were processed twice (before and after each failure) ...
    expect([...seen.values()].some((count) => count > 1)).toBe(true);

    // ... yet a read_committed reader sees each exactly once.
    const committedValues = await readAll(kafka, output, false);
    const expected = Array.from({ length: N }, (_, i) => `out-${i}`);
    expect(committedValues.length).toBe(N);
    expect([...committedValues].sort()).toEqual([...expected].sort());

    // The aborted transaction's records are physically in the log: a read_uncommitted reader sees them.
    const allValues = await readAll(kafka, output, true);
    expect(allValues.length).toBeGreaterThan(N);
  });
});
