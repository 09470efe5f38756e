// kafkajs 2.2.4 against the Kafka 4 broker the stack runs: plain produce/consume in a group,
// the idempotent producer, and exactly-once consume-transform-produce (KIP-98: sendOffsets in
// the transaction, read_committed consumers never see aborted records).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import { createKafka, createTopics, eventually, uniqueName } from '../support/index.ts';

describe('Kafka through kafkajs', () => {
  let kafka: Kafka;
  let admin: Admin;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    kafka = createKafka(uniqueName('stack-kafka'));
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await admin.disconnect();
  });

  async function connected<T extends Producer | Consumer>(client: T): Promise<T> {
    await client.connect();
    cleanups.push(() => client.disconnect());
    return client;
  }

  it('produces and consumes in a consumer group, committing offsets', async () => {
    const topic = uniqueName('plain');
    const groupId = uniqueName('group');
    cleanups.push(await createTopics(admin, [{ topic, numPartitions: 3 }]));

    const producer = await connected(kafka.producer());
    const sent = Array.from({ length: 30 }, (_, i) => ({ key: `k${i % 7}`, value: `v${i}` }));
    await producer.send({ topic, messages: sent });

    const consumer = await connected(kafka.consumer({ groupId }));
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void received.push(String(message.value)) });
    await eventually('all 30 messages', () => received.length >= 30);
    await consumer.stop();
    await consumer.disconnect();

    expect(received.sort()).toEqual(sent.map((m) => m.value).sort());
    const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
    const committed = offsets[0]?.partitions.reduce((sum, p) => sum + Number(p.offset), 0);
    expect(committed).toBe(30);
  });

  it('rejects a topic that does not exist instead of auto-creating it', async () => {
    const producer = await connected(kafka.producer({ allowAutoTopicCreation: true, retry: { retries: 1 } }));
    const missing = uniqueName('missing');
    await expect(producer.send({ topic: missing, messages: [{ value: 'x' }] })).rejects.toThrow();
    const topics = await admin.listTopics();
    expect(topics).not.toContain(missing);
  });

  it('writes each record once with the idempotent producer', async () => {
    const topic = uniqueName('idem');
    cleanups.push(await createTopics(admin, [{ topic, numPartitions: 1 }]));
    const producer = await connected(kafka.producer({ idempotent: true, maxInFlightRequests: 1 }));
    for (let i = 0; i < 5; i++) await producer.send({ topic, messages: [{ value: `m${i}` }] });
    const [partition] = await admin.fetchTopicOffsets(topic);
    expect(partition?.high).toBe('5');
  });

  it('commits output and input offsets atomically, and read_committed skips aborted records', async () => {
    const input = uniqueName('tx-in');
    const output = uniqueName('tx-out');
    const groupId = uniqueName('tx-group');
    cleanups.push(await createTopics(admin, [{ topic: input, numPartitions: 2 }, { topic: output, numPartitions: 1 }]));

    const seed = await connected(kafka.producer());
    await seed.send({ topic: input, messages: Array.from({ length: 6 }, (_, i) => ({ key: `k${i}`, value: `in${i}` })) });

    const txProducer = await connected(
      kafka.producer({ transactionalId: uniqueName('tx'), idempotent: true, maxInFlightRequests: 1 }),
    );
    const consumer = await connected(kafka.consumer({ groupId, readUncommitted: false }));
    await consumer.subscribe({ topic: input, fromBeginning: true });
    let processed = 0;
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        const tx = await txProducer.transaction();
        try {
          await tx.send({ topic: output, messages: [{ key: message.key, value: `out:${String(message.value)}` }] });
          await tx.sendOffsets({
            consumerGroupId: groupId,
            topics: [{ topic, partitions: [{ partition, offset: (BigInt(message.offset) + 1n).toString() }] }],
          });
          await tx.commit();
        } catch (error) {
          await tx.abort();
          throw error;
        }
        processed++;
      },
    });
    await eventually('6 transformed records', () => processed >= 6);
    await consumer.stop();

    // Committed offset = last processed + 1 on every input partition (KIP-98 sendOffsets).
    const highs = await admin.fetchTopicOffsets(input);
    const committed = await admin.fetchOffsets({ groupId, topics: [input] });
    for (const p of highs) {
      const c = committed[0]?.partitions.find((x) => x.partition === p.partition);
      expect(c?.offset).toBe(p.high);
    }

    const aborted = await txProducer.transaction();
    await aborted.send({ topic: output, messages: [{ value: 'ABORTED' }] });
    await aborted.abort();
    const last = await txProducer.transaction();
    await last.send({ topic: output, messages: [{ value: 'after-abort' }] });
    await last.commit();

    const readCommitted = await connected(kafka.consumer({ groupId: uniqueName('rc'), readUncommitted: false }));
    await readCommitted.subscribe({ topic: output, fromBeginning: true });
    const seen: string[] = [];
    await readCommitted.run({ eachMessage: async ({ message }) => void seen.push(String(message.value)) });
    await eventually('the record committed after the abort', () => seen.includes('after-abort'));
    await readCommitted.stop();
    expect(seen.filter((v) => v.startsWith('out:')).sort()).toEqual(['in0', 'in1', 'in2', 'in3', 'in4', 'in5'].map((v) => `out:${v}`));
    expect(seen).not.toContain('ABORTED');

    // The aborted record is in the log (a read_uncommitted consumer sees it): the check above
    // is the isolation level at work, not a record that never got written.
    const readUncommitted = await connected(kafka.consumer({ groupId: uniqueName('ru'), readUncommitted: true }));
    await readUncommitted.subscribe({ topic: output, fromBeginning: true });
    const raw: string[] = [];
    await readUncommitted.run({ eachMessage: async ({ message }) => void raw.push(String(message.value)) });
    await eventually('the aborted record under read_uncommitted', () => raw.includes('ABORTED'));
    await readUncommitted.stop();
  });
});
