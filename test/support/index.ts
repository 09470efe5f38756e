// Helpers for integration tests: unique names so tests never share topics, groups or subjects,
// and clients wired to the stack the global setup provided.
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { Kafka, logLevel, type Admin, type ITopicConfig } from 'kafkajs';
import { SchemaRegistryClient } from '@confluentinc/schemaregistry';
import pg from 'pg';
import type { StackInfo } from '@switchyard/stack';
import { installUnreadableBatchGuard, registerCodecs } from '@switchyard/kafka-io';

export function stack(): StackInfo {
  return inject('stack');
}

/**
 * `<prefix>-<time>-<random>`: unique across parallel runs and reruns, and valid as a Kafka
 * topic, group id, transactional id or registry subject (letters, digits, `.`, `_`, `-`).
 */
export function uniqueName(prefix: string): string {
  const safe = prefix.replace(/[^a-zA-Z0-9._-]/g, '-');
  return `${safe}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** Test clients read every codec and survive unreadable batches, like the services' clients. */
export function createKafka(clientId: string = uniqueName('test'), info: StackInfo = stack()): Kafka {
  registerCodecs();
  installUnreadableBatchGuard();
  return new Kafka({
    clientId,
    brokers: info.kafkaBrokers,
    logLevel: logLevel.NOTHING,
    // Coordinator-not-ready and concurrent-transaction errors are retriable and expected
    // right after a topic or group is created; retry them quickly.
    retry: { initialRetryTime: 100, retries: 10 },
  });
}

/** Creates topics and returns a cleanup function that deletes them. */
export async function createTopics(admin: Admin, topics: ITopicConfig[]): Promise<() => Promise<void>> {
  const created = await admin.createTopics({ topics, waitForLeaders: true });
  if (!created) throw new Error(`topics already existed: ${topics.map((t) => t.topic).join(', ')}`);
  return async () => {
    await admin.deleteTopics({ topics: topics.map((t) => t.topic) });
  };
}

export function createRegistryClient(info: StackInfo = stack()): SchemaRegistryClient {
  return new SchemaRegistryClient({ baseURLs: [info.registryUrl] });
}

/** Deletes a subject soft then permanently (the Confluent API requires both steps). */
export async function deleteSubject(info: StackInfo, subject: string): Promise<void> {
  for (const permanent of [false, true]) {
    const res = await fetch(`${info.registryUrl}/subjects/${encodeURIComponent(subject)}?permanent=${permanent}`, { method: 'DELETE' });
    if (!res.ok && res.status !== 404) throw new Error(`DELETE subject ${subject} -> ${res.status} ${await res.text()}`);
  }
}

export async function withClient<T>(url: string, body: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'switchyard-test' });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}

/** Waits until `check` holds, polling; fails with `what` after timeoutMs (a liveness bound, not a timing assertion). */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
