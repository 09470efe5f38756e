// kafkajs restarts a crashed consumer without waiting for its running eachBatch calls, so the
// runner can be handed a partition's batch while the previous batch of that partition is still
// in its handler. On an in-memory stand-in for kafkajs: the second batch must wait, then see
// the offset the first one committed and commit nothing twice.
import { describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { TransactionalRunner } from '../src/index.ts';

function fakeKafka() {
  let committed = '-1';
  let pendingOffset = '-1';
  const commits: string[] = [];
  let eachBatch: ((payload: unknown) => Promise<void>) | null = null;
  let onJoin: ((e: unknown) => void) | null = null;
  const consumer = {
    events: { GROUP_JOIN: 'join', CRASH: 'crash' },
    on: (event: string, fn: () => void) => {
      if (event === 'join') onJoin = fn as (e: unknown) => void;
    },
    connect: async () => undefined,
    subscribe: async () => undefined,
    pause: () => undefined,
    resume: () => undefined,
    seek: () => undefined,
    run: async (opts: { eachBatch: (payload: unknown) => Promise<void> }) => {
      eachBatch = opts.eachBatch;
    },
    disconnect: async () => undefined,
  };
  const admin = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    fetchOffsets: async () => [{ topic: 'in', partitions: [{ partition: 0, offset: committed }] }],
  };
  const transaction = async () => ({
    sendBatch: async () => undefined,
    sendOffsets: async (o: { topics: { partitions: { offset: string }[] }[] }) => {
      pendingOffset = o.topics[0]!.partitions[0]!.offset;
    },
    commit: async () => {
      committed = pendingOffset;
      commits.push(committed);
    },
    abort: async () => undefined,
    isActive: () => true,
  });
  const producer = { connect: async () => undefined, disconnect: async () => undefined, transaction };
  const kafka = { consumer: () => consumer, admin: () => admin, producer: () => producer } as unknown as Kafka;
  const batch = (from: number, to: number) => {
    const messages = Array.from({ length: to - from + 1 }, (_, i) => ({ offset: String(from + i), key: null, value: Buffer.from('x'), headers: {} }));
    return eachBatch!({
      batch: { topic: 'in', partition: 0, messages, lastOffset: () => String(to) },
      resolveOffset: () => undefined,
      heartbeat: async () => undefined,
      isRunning: () => true,
      isStale: () => false,
    });
  };
  return { kafka, commits, batch, rejoin: () => onJoin?.({ payload: { memberId: 'm1', memberAssignment: { in: [0] } } }) };
}

describe('TransactionalRunner: one batch per partition at a time', () => {
  it('a batch handed out while the previous one of its partition runs does not commit the same input again', async () => {
    const fake = fakeKafka();
    const handled: string[][] = [];
    let releaseFirst!: () => void;
    const firstBlocked = new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });
    const runner = new TransactionalRunner({
      kafka: fake.kafka,
      groupId: 'g',
      topics: ['in'],
      transactionalIdPrefix: 't',
      handler: async ({ messages }) => {
        handled.push(messages.map((m) => m.offset));
        if (handled.length === 1) await firstBlocked;
        return { records: [{ topic: 'out', value: 'v' }] };
      },
      retry: { initialDelayMs: 1, maxDelayMs: 2, maxRetries: 2 },
    });
    await runner.start();
    // The old consumer's batch is in its handler when the consumer restarts and rejoins...
    const old = fake.batch(0, 9);
    await new Promise((r) => setTimeout(r, 10));
    fake.rejoin();
    // ...and the new consumer hands out the same partition from the old committed offset.
    const fresh = fake.batch(0, 14);
    await new Promise((r) => setTimeout(r, 10));
    releaseFirst();
    await Promise.all([old, fresh]);
    await runner.stop();
    // Offsets 0-9 committed once by the old batch; the new one handles only 10-14.
    expect(fake.commits).toEqual(['10', '15']);
    expect(handled).toEqual([
      ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
      ['10', '11', '12', '13', '14'],
    ]);
  });
});
