// Shared helpers of the kafka-io delivery tests.
import type { Kafka } from 'kafkajs';
import { eventually, uniqueName } from '../support/index.ts';

/** Reads `topic` from the beginning until every partition is consumed up to its high watermark. */
export async function readAll(kafka: Kafka, topic: string, readUncommitted: boolean): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const values: string[] = [];
  const lastOffsetByPartition = new Map<number, string>();
  const consumer = kafka.consumer({ groupId: uniqueName('reader'), readUncommitted });
  await consumer.connect();
  try {
    consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
      lastOffsetByPartition.set(e.payload.partition, e.payload.lastOffset);
    });
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        values.push(String(message.value));
      },
    });
    await eventually(`reading ${topic} to its end`, () =>
      ends.every((p) => p.high === '0' || BigInt(lastOffsetByPartition.get(p.partition) ?? '-1') >= BigInt(p.high) - 1n),
    );
  } finally {
    await consumer.disconnect();
  }
  return values;
}

/** Seeds `topic` with values "0".."n-1" keyed by value, in several produce calls. */
export async function seed(kafka: Kafka, topic: string, n: number, chunk = 50): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  try {
    for (let start = 0; start < n; start += chunk) {
      const size = Math.min(chunk, n - start);
      await producer.send({ topic, messages: Array.from({ length: size }, (_, i) => ({ key: `k${start + i}`, value: String(start + i) })) });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Waits until the group's committed offset of every partition of `topic` equals the partition's end. */
export async function waitForGroupAtEnd(kafka: Kafka, groupId: string, topic: string, timeoutMs = 120_000): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    await eventually(`group ${groupId} committed to the end of ${topic}`, async () => {
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return ends.every((end) => committed?.partitions.find((p) => p.partition === end.partition)?.offset === end.high);
    }, timeoutMs);
  } finally {
    await admin.disconnect();
  }
}
