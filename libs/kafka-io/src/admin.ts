// Idempotent topic provisioning. Existing topics are never altered: a topic with fewer
// partitions than asked for is reported (partition count changes re-key data and are an
// operator's decision), not silently "fixed".
import type { Kafka } from 'kafkajs';
import { classifyKafkaError } from './errors.ts';

export interface TopicSpec {
  readonly topic: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  /** Topic-level configs, e.g. `{ 'retention.ms': '604800000' }`. */
  readonly configs?: Readonly<Record<string, string>>;
}

export interface EnsureTopicsResult {
  readonly created: readonly string[];
  readonly existing: readonly string[];
  /** Existing topics whose partition count differs from the spec. */
  readonly mismatched: readonly { readonly topic: string; readonly expectedPartitions: number; readonly actualPartitions: number }[];
}

export async function ensureTopics(kafka: Kafka, specs: readonly TopicSpec[]): Promise<EnsureTopicsResult> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const wanted = new Map(specs.map((s) => [s.topic, s]));
    const before = new Set(await admin.listTopics());
    const missing = [...wanted.values()].filter((s) => !before.has(s.topic));
    if (missing.length > 0) {
      // createTopics returns false instead of throwing when every topic already exists, and
      // throws TOPIC_ALREADY_EXISTS only for a subset; both mean another instance won the race.
      try {
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((s) => ({
            topic: s.topic,
            numPartitions: s.partitions,
            replicationFactor: s.replicationFactor,
            configEntries: Object.entries(s.configs ?? {}).map(([name, value]) => ({ name, value })),
          })),
        });
      } catch (err) {
        if (!isAlreadyExists(err)) throw classifyKafkaError(err);
      }
    }
    const metadata = await admin.fetchTopicMetadata({ topics: [...wanted.keys()] });
    const mismatched = metadata.topics
      .map((t) => ({ topic: t.name, expectedPartitions: wanted.get(t.name)?.partitions ?? 0, actualPartitions: t.partitions.length }))
      .filter((m) => m.expectedPartitions !== m.actualPartitions);
    return {
      created: missing.map((s) => s.topic),
      existing: [...wanted.keys()].filter((t) => before.has(t)),
      mismatched,
    };
  } catch (err) {
    throw classifyKafkaError(err);
  } finally {
    await admin.disconnect();
  }
}

function isAlreadyExists(err: unknown): boolean {
  const e = err as { type?: unknown; errors?: unknown } | null;
  if (e === null || typeof e !== 'object') return false;
  if (e.type === 'TOPIC_ALREADY_EXISTS') return true;
  // KafkaJSCreateTopicError aggregates per-topic errors.
  return Array.isArray(e.errors) && e.errors.length > 0 && e.errors.every((x: { type?: unknown }) => x?.type === 'TOPIC_ALREADY_EXISTS');
}

/** Deletes topics (tests and tooling); unknown topics are ignored. */
export async function deleteTopics(kafka: Kafka, topics: readonly string[]): Promise<void> {
  if (topics.length === 0) return;
  const admin = kafka.admin();
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const toDelete = topics.filter((t) => existing.has(t));
    if (toDelete.length > 0) await admin.deleteTopics({ topics: toDelete });
  } catch (err) {
    throw classifyKafkaError(err);
  } finally {
    await admin.disconnect();
  }
}
