// Liveness of the runner on the real broker: a batch that takes longer than the session
// timeout keeps the group membership (heartbeats during the handler), and downstream
// backpressure pauses fetching without losing or duplicating anything.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { TransactionalRunner, deleteTopics, ensureTopics, sleep } from '@switchyard/kafka-io';
import type { BatchHandler, RunnerEvent } from '@switchyard/kafka-io';
import { createKafka, eventually, uniqueName } from '../support/index.ts';
import { readAll, seed, waitForGroupAtEnd } from './support.ts';

describe('TransactionalRunner liveness', () => {
  let kafka: Kafka;
  const topics: string[] = [];

  function topic(prefix: string): string {
    const t = uniqueName(prefix);
    topics.push(t);
    return t;
  }

  beforeAll(() => {
    kafka = createKafka(uniqueName('liveness'));
  });

  afterAll(async () => {
    await deleteTopics(kafka, topics);
  });

  it('heartbeats through a batch longer than the session timeout', async () => {
    const input = topic('hb-in');
    const output = topic('hb-out');
    const groupId = uniqueName('hb-group');
    await ensureTopics(kafka, [
      { topic: input, partitions: 1, replicationFactor: 1 },
      { topic: output, partitions: 1, replicationFactor: 1 },
    ]);
    await seed(kafka, input, 20, 20);

    const sessionTimeoutMs = 6_000;
    let first = true;
    const handler: BatchHandler = async ({ messages }) => {
      if (first) {
        first = false;
        await sleep(sessionTimeoutMs + 4_000);
      }
      return { records: messages.map((m) => ({ topic: output, value: `out-${String(m.value)}` })) };
    };
    const events: RunnerEvent[] = [];
    const runner = new TransactionalRunner({
      kafka,
      groupId,
      topics: [input],
      transactionalIdPrefix: uniqueName('hb-tx'),
      handler,
      sessionTimeoutMs,
      heartbeatIntervalMs: 1_000,
      rebalanceTimeoutMs: sessionTimeoutMs,
      onEvent: (e) => events.push(e),
    });
    await runner.start();
    try {
      await waitForGroupAtEnd(kafka, groupId, input);
      // One more heartbeat round after the long batch: a member evicted during it would rejoin now.
      await sleep(3_000);
    } finally {
      await runner.stop();
    }
    expect(events.filter((e) => e.type === 'assigned')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'aborted' || e.type === 'fenced')).toEqual([]);
    expect((await readAll(kafka, output, false)).length).toBe(20);
  });

  it('pauses fetching under backpressure and resumes without loss', async () => {
    const input = topic('bp-in');
    const output = topic('bp-out');
    const groupId = uniqueName('bp-group');
    await ensureTopics(kafka, [
      { topic: input, partitions: 2, replicationFactor: 1 },
      { topic: output, partitions: 1, replicationFactor: 1 },
    ]);
    await seed(kafka, input, 100, 10);

    let pressure = false;
    let handled = 0;
    const events: RunnerEvent[] = [];
    const runner = new TransactionalRunner({
      kafka,
      groupId,
      topics: [input],
      transactionalIdPrefix: uniqueName('bp-tx'),
      maxBytesPerPartition: 512,
      handler: async ({ messages }) => {
        handled += messages.length;
        // The downstream stage fills up after the first batch.
        pressure = true;
        return { records: messages.map((m) => ({ topic: output, value: `out-${String(m.value)}` })) };
      },
      isBackpressured: () => pressure,
      backpressurePollMs: 20,
      onEvent: (e) => events.push(e),
    });
    await runner.start();
    try {
      await eventually('runner paused', () => events.some((e) => e.type === 'paused'));
      const handledWhilePaused = handled;
      await sleep(1_500);
      expect(handled).toBe(handledWhilePaused);
      expect(runner.isPaused()).toBe(true);

      pressure = false;
      const after = events.length;
      await eventually('runner resumed', () => events.slice(after).some((e) => e.type === 'resumed'));
      // Keep relieving pressure so the rest drains.
      const relieve = setInterval(() => {
        pressure = false;
      }, 10);
      try {
        await waitForGroupAtEnd(kafka, groupId, input);
      } finally {
        clearInterval(relieve);
      }
    } finally {
      await runner.stop();
    }
    const values = await readAll(kafka, output, false);
    expect([...values].sort()).toEqual(Array.from({ length: 100 }, (_, i) => `out-${i}`).sort());
  });
});
