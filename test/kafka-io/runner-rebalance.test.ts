// Two runner instances in one group, the second joining and the first leaving mid-stream:
// partitions move between instances while transactions are in flight. Per-partition
// transactional ids must fence the previous owner, so a read_committed reader of the output
// still sees every input exactly once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { TransactionalRunner, deleteTopics, ensureTopics, sleep } from '@switchyard/kafka-io';
import type { BatchHandler, RunnerEvent } from '@switchyard/kafka-io';
import { createKafka, eventually, uniqueName } from '../support/index.ts';
import { readAll, seed, waitForGroupAtEnd } from './support.ts';

const N = 1_200;

describe('TransactionalRunner across a rebalance', () => {
  let kafka: Kafka;
  const input = uniqueName('rebal-in');
  const output = uniqueName('rebal-out');
  const groupId = uniqueName('rebal-group');
  const prefix = uniqueName('rebal-tx');

  beforeAll(async () => {
    kafka = createKafka(uniqueName('rebal'));
    await ensureTopics(kafka, [
      { topic: input, partitions: 4, replicationFactor: 1 },
      { topic: output, partitions: 2, replicationFactor: 1 },
    ]);
    await seed(kafka, input, N, 8);
  });

  afterAll(async () => {
    await deleteTopics(kafka, [input, output]);
  });

  it('keeps exactly-once output while partitions move between instances', async () => {
    let processed = 0;
    // Slow enough that batches are in flight when the group rebalances.
    const handler: BatchHandler = async ({ messages }) => {
      await sleep(150);
      processed += messages.length;
      return { records: messages.map((m) => ({ topic: output, key: m.key, value: `out-${String(m.value)}` })) };
    };
    const eventsA: RunnerEvent[] = [];
    const eventsB: RunnerEvent[] = [];
    const make = (events: RunnerEvent[]): TransactionalRunner =>
      new TransactionalRunner({
        kafka,
        groupId,
        topics: [input],
        transactionalIdPrefix: prefix,
        handler,
        maxInFlightBatches: 2,
        maxBytesPerPartition: 1_024,
        sessionTimeoutMs: 10_000,
        heartbeatIntervalMs: 1_000,
        retry: { initialDelayMs: 50, maxDelayMs: 1_000, maxRetries: 20 },
        onEvent: (e) => events.push(e),
      });

    const a = make(eventsA);
    await a.start();
    await eventually('instance A made progress', () => processed >= N / 6);
    const b = make(eventsB);
    await b.start();
    await eventually('instance B got partitions', () => eventsB.some((e) => e.type === 'committed'));
    await a.stop();
    await a.done;
    await waitForGroupAtEnd(kafka, groupId, input);
    await b.stop();
    await b.done;

    expect(eventsA.some((e) => e.type === 'committed')).toBe(true);
    expect(eventsB.some((e) => e.type === 'committed')).toBe(true);
    // B first shared the partitions with A, then took over all of them when A left.
    const assignedToB = eventsB.flatMap((e) => (e.type === 'assigned' ? [Object.values(e.assignment).flat().length] : []));
    expect(assignedToB.length).toBeGreaterThanOrEqual(2);
    expect(assignedToB[0]).toBeLessThan(4);
    expect(assignedToB.at(-1)).toBe(4);
    const values = await readAll(kafka, output, false);
    const counts = new Map<string, number>();
    for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
    const duplicates = [...counts.entries()].filter(([, c]) => c > 1);
    expect(duplicates).toEqual([]);
    expect(counts.size).toBe(N);
  });
});
