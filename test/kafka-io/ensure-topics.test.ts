// ensureTopics against the real broker: creates what is missing, is a no-op the second time,
// and reports (without changing) topics whose partition count differs from the spec.
import { afterAll, describe, expect, it } from 'vitest';
import { deleteTopics, ensureTopics } from '@switchyard/kafka-io';
import { createKafka, uniqueName } from '../support/index.ts';

const kafka = createKafka(uniqueName('ensure-topics'));
const topics = [uniqueName('ensure-a'), uniqueName('ensure-b')];

afterAll(async () => {
  await deleteTopics(kafka, topics);
});

describe('ensureTopics', () => {
  it('is idempotent', async () => {
    const specs = topics.map((topic) => ({ topic, partitions: 3, replicationFactor: 1, configs: { 'retention.ms': '3600000' } }));

    const first = await ensureTopics(kafka, specs);
    expect([...first.created].sort()).toEqual([...topics].sort());
    expect(first.existing).toEqual([]);
    expect(first.mismatched).toEqual([]);

    const second = await ensureTopics(kafka, specs);
    expect(second.created).toEqual([]);
    expect([...second.existing].sort()).toEqual([...topics].sort());
    expect(second.mismatched).toEqual([]);

    const admin = kafka.admin();
    await admin.connect();
    try {
      const meta = await admin.fetchTopicMetadata({ topics });
      expect(meta.topics.map((t) => t.partitions.length)).toEqual([3, 3]);
    } finally {
      await admin.disconnect();
    }
  });

  it('reports a partition-count mismatch instead of altering the topic', async () => {
    const result = await ensureTopics(kafka, [{ topic: topics[0]!, partitions: 6, replicationFactor: 1 }]);
    expect(result.created).toEqual([]);
    expect(result.mismatched).toEqual([{ topic: topics[0], expectedPartitions: 6, actualPartitions: 3 }]);
  });

  it('survives concurrent callers racing to create the same topic', async () => {
    const topic = uniqueName('ensure-race');
    topics.push(topic);
    const spec = [{ topic, partitions: 2, replicationFactor: 1 }];
    const results = await Promise.all([ensureTopics(kafka, spec), ensureTopics(kafka, spec), ensureTopics(kafka, spec)]);
    for (const r of results) expect(r.mismatched).toEqual([]);
  });
});
