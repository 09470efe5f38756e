// Zombie fencing: instance A stalls inside a batch past the rebalance timeout, the group gives
// its partition to B, and B finishes the work. When A wakes up and tries to commit, the
// per-partition transactional id B initialised must fence it (kafkajs has no KIP-447), so the
// output holds every input exactly once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { TransactionalRunner, deleteTopics, ensureTopics } from '@switchyard/kafka-io';
import type { BatchHandler, RunnerEvent } from '@switchyard/kafka-io';
import { createKafka, eventually, uniqueName } from '../support/index.ts';
import { readAll, seed, waitForGroupAtEnd } from './support.ts';

const N = 60;

describe('TransactionalRunner zombie fencing', () => {
  let kafka: Kafka;
  const input = uniqueName('zombie-in');
  const output = uniqueName('zombie-out');
  const groupId = uniqueName('zombie-group');
  const prefix = uniqueName('zombie-tx');

  beforeAll(async () => {
    kafka = createKafka(uniqueName('zombie'));
    await ensureTopics(kafka, [
      { topic: input, partitions: 1, replicationFactor: 1 },
      { topic: output, partitions: 1, replicationFactor: 1 },
    ]);
    await seed(kafka, input, N, 10);
  });

  afterAll(async () => {
    await deleteTopics(kafka, [input, output]);
  });

  it('fences a stalled instance whose partition was handed to another', async () => {
    let releaseA!: () => void;
    const gateA = new Promise<void>((resolve) => {
      releaseA = resolve;
    });
    let aEntered = false;
    const transform = (messages: Parameters<BatchHandler>[0]['messages']) =>
      messages.map((m) => ({ topic: output, key: m.key, value: `out-${String(m.value)}` }));
    const handlerA: BatchHandler = async ({ messages }) => {
      aEntered = true;
      await gateA;
      return { records: transform(messages) };
    };
    const handlerB: BatchHandler = async ({ messages }) => ({ records: transform(messages) });

    const eventsA: RunnerEvent[] = [];
    const eventsB: RunnerEvent[] = [];
    const options = {
      kafka,
      groupId,
      topics: [input],
      transactionalIdPrefix: prefix,
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 1_000,
      rebalanceTimeoutMs: 6_000,
      retry: { initialDelayMs: 50, maxDelayMs: 500, maxRetries: 50 },
    };
    const a = new TransactionalRunner({ ...options, handler: handlerA, onEvent: (e) => eventsA.push(e) });
    const b = new TransactionalRunner({ ...options, handler: handlerB, onEvent: (e) => eventsB.push(e) });
    try {
      await a.start();
      await eventually('A inside its first batch', () => aEntered);
      await b.start();
      await waitForGroupAtEnd(kafka, groupId, input, 120_000);
      releaseA();
      await eventually('A to finish its stalled batch', () => eventsA.some((e) => e.type === 'fenced' || e.type === 'committed'), 60_000);
    } finally {
      releaseA();
      await a.stop();
      await b.stop();
    }

    const values = await readAll(kafka, output, false);
    expect([...values].sort()).toEqual(Array.from({ length: N }, (_, i) => `out-${i}`).sort());
    expect(eventsA.some((e) => e.type === 'fenced')).toBe(true);
    expect(eventsA.some((e) => e.type === 'committed')).toBe(false);
  });
});
