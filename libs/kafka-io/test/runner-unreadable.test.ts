// The runner and an undecodable record batch: its offsets never reach the handler, each gets
// the onUnreadable records in the transaction that commits past it, and the partition moves
// on. On an in-memory stand-in for kafkajs, with placeholders made by the decoder guard.
import { describe, expect, it } from 'vitest';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { TransactionalRunner } from '../src/index.ts';
import type { RunnerEvent } from '../src/index.ts';
import { placeholdersFor } from '../src/unreadable.ts';

function placeholders(first: number, count: number): KafkaMessage[] {
  const header = Buffer.alloc(61);
  header.writeBigInt64BE(BigInt(first), 0);
  header.writeInt32BE(49, 8);
  header.writeInt16BE(4, 21); // zstd
  header.writeInt32BE(count - 1, 23);
  return placeholdersFor(header, 0, new Error('bad frame'))!.records;
}

function fakeKafka() {
  let committed = '-1';
  let pending = '-1';
  const commits: string[] = [];
  const sent: { topic: string; value: unknown }[] = [];
  const consumerOptions: Record<string, unknown>[] = [];
  let eachBatch: ((payload: unknown) => Promise<void>) | null = null;
  const consumer = {
    events: { GROUP_JOIN: 'join', CRASH: 'crash' },
    on: () => undefined,
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
    sendBatch: async (b: { topicMessages: { topic: string; messages: { value: unknown }[] }[] }) => {
      for (const t of b.topicMessages) for (const m of t.messages) sent.push({ topic: t.topic, value: m.value });
    },
    sendOffsets: async (o: { topics: { partitions: { offset: string }[] }[] }) => {
      pending = o.topics[0]!.partitions[0]!.offset;
    },
    commit: async () => {
      committed = pending;
      commits.push(committed);
    },
    abort: async () => undefined,
    isActive: () => true,
  });
  const producer = { connect: async () => undefined, disconnect: async () => undefined, transaction };
  const kafka = {
    consumer: (o: Record<string, unknown>) => {
      consumerOptions.push(o);
      return consumer;
    },
    admin: () => admin,
    producer: () => producer,
  } as unknown as Kafka;
  const readable = (offset: number): KafkaMessage => ({ offset: String(offset), key: null, value: Buffer.from(`v${offset}`), headers: {} }) as unknown as KafkaMessage;
  const deliver = (messages: KafkaMessage[]) =>
    eachBatch!({
      batch: { topic: 'in', partition: 0, messages, lastOffset: () => messages[messages.length - 1]!.offset },
      resolveOffset: () => undefined,
      heartbeat: async () => undefined,
      isRunning: () => true,
      isStale: () => false,
    });
  return { kafka, commits, sent, consumerOptions, readable, deliver };
}

describe('TransactionalRunner: undecodable record batches', () => {
  it('dead-letters their offsets, hands only readable records to the handler and commits past them', async () => {
    const fake = fakeKafka();
    const handled: string[][] = [];
    const events: RunnerEvent[] = [];
    const runner = new TransactionalRunner({
      kafka: fake.kafka,
      groupId: 'g',
      topics: ['in'],
      transactionalIdPrefix: 't',
      handler: async ({ messages }) => {
        handled.push(messages.map((m) => m.offset));
        return { records: messages.map((m) => ({ topic: 'out', value: m.value })), lastProcessedOffset: messages[messages.length - 1]!.offset };
      },
      onUnreadable: (u) => [{ topic: 'dlq', value: `${u.offset} of ${u.batch.firstOffset}-${u.batch.lastOffset}` }],
      onEvent: (e) => events.push(e),
    });
    await runner.start();
    // A readable record, a 3-record batch that could not be decoded, and one more readable record.
    await fake.deliver([fake.readable(0), ...placeholders(1, 3), fake.readable(4)]);
    // A fetch made only of an unreadable batch: the handler is not called, the offset still moves.
    await fake.deliver(placeholders(5, 2));
    await runner.stop();
    expect(handled).toEqual([['0', '4']]);
    expect(fake.commits).toEqual(['5', '7']);
    expect(fake.sent.filter((s) => s.topic === 'dlq').map((s) => s.value)).toEqual(['1 of 1-3', '2 of 1-3', '3 of 1-3', '5 of 5-6', '6 of 5-6']);
    expect(fake.sent.filter((s) => s.topic === 'out')).toHaveLength(2);
    expect(events.filter((e) => e.type === 'unreadable').map((e) => (e.type === 'unreadable' ? [e.batch.firstOffset, e.offsets] : null))).toEqual([
      ['1', 3],
      ['5', 2],
    ]);
  });

  it('does not commit unreadable offsets beyond what the handler processed', async () => {
    const fake = fakeKafka();
    const runner = new TransactionalRunner({
      kafka: fake.kafka,
      groupId: 'g',
      topics: ['in'],
      transactionalIdPrefix: 't',
      // Processes only its first record (e.g. the rest waits for a budget window).
      handler: async ({ messages }) => ({ records: [], lastProcessedOffset: messages[0]!.offset }),
      onUnreadable: (u) => [{ topic: 'dlq', value: u.offset }],
    });
    await runner.start();
    await fake.deliver([fake.readable(0), fake.readable(1), ...placeholders(2, 2)]);
    await runner.stop();
    expect(fake.commits).toEqual(['1']);
    expect(fake.sent).toEqual([]);
  });

  it('uses short sessions and fetch waits so a crash or a stop hands partitions over in seconds', () => {
    const fake = fakeKafka();
    new TransactionalRunner({ kafka: fake.kafka, groupId: 'g', topics: ['in'], transactionalIdPrefix: 't', handler: async () => ({ records: [] }) });
    expect(fake.consumerOptions[0]).toMatchObject({ sessionTimeout: 6_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 1_000 });
    expect(fake.consumerOptions[0]).not.toHaveProperty('minBytes');
  });

  it('passes a fetch minimum and wait to the consumer, so slices can be made larger at modest rates', () => {
    const fake = fakeKafka();
    new TransactionalRunner({ kafka: fake.kafka, groupId: 'g', topics: ['in'], transactionalIdPrefix: 't', handler: async () => ({ records: [] }), minBytes: 1 << 20, maxWaitTimeMs: 250 });
    expect(fake.consumerOptions[0]).toMatchObject({ minBytes: 1 << 20, maxWaitTimeInMs: 250 });
  });
});
