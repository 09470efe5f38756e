// Delivery invariants of the transactional runner on the real broker: with a handler that
// throws once and a transaction that is aborted once AFTER its records reached the log, a
// read_committed reader of the output sees every input exactly once, and the group's
// committed offset of every input partition is its last offset + 1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { TransactionalRunner, deleteTopics, ensureTopics } from '@switchyard/kafka-io';
import type { RunnerEvent } from '@switchyard/kafka-io';
import { createKafka, uniqueName } from '../support/index.ts';
import { readAll, seed, waitForGroupAtEnd } from './support.ts';

const N = 300;
const PARTITIONS = 3;

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
    await seed(kafka, input, N);
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
      await waitForGroupAtEnd(kafka, groupId, input);
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
