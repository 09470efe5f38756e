// Setting up a demo run on the stack: its topics, and the job submitted as `switchyard submit` would.
import { runSubmit } from '@switchyard/cli';
import { KafkaIoError, createKafka, ensureTopics, withRetry } from '@switchyard/kafka-io';
import type { loadConfig } from '@switchyard/config';
import type { StackInfo } from '@switchyard/stack';
import type { demoTopics } from './plan.ts';

/**
 * All of the run's topics up front, retried: right after a create the broker can still answer
 * "does not host this topic-partition" to a metadata request, and each service's own
 * ensureTopics would otherwise meet that race in the middle of its start.
 */
export async function createRunTopics(kafka: ReturnType<typeof createKafka>, shared: ReturnType<typeof loadConfig>, topics: ReturnType<typeof demoTopics>): Promise<number> {
  const runTopics = [topics.requests, topics.deferred, topics.deadLetter, topics.outcomes, ...Object.values(shared.topics.routedByModel)];
  const ensured = await withRetry(
    () => ensureTopics(kafka, runTopics.map((topic) => ({ topic, partitions: shared.topics.partitions, replicationFactor: shared.topics.replicationFactor }))),
    { initialDelayMs: 200, maxDelayMs: 2_000, maxRetries: 8, isRetriable: (err) => err instanceof KafkaIoError && err.retriable },
  );
  return ensured.created.length;
}

/** The job file, submitted exactly as `switchyard submit FILE` does (the format told from its first line). */
export function submitJob(info: StackInfo, jobFile: string, jobId: string, topic: string, budget: { readonly budgetUsd?: number; readonly deadlineMs?: number } = {}): ReturnType<typeof runSubmit> {
  return runSubmit({
    file: jobFile,
    jobId,
    tenant: 'demo',
    topic,
    partitions: 3,
    replicationFactor: 1,
    maxOutputTokens: 256,
    priority: 0,
    force: false,
    ...budget,
    progress: process.stderr.isTTY === true,
    printBadLines: 20,
    keepBadLines: 1_000,
    chunkMessages: 500,
    endpoints: { kafkaBrokers: info.kafkaBrokers, registryUrl: info.registryUrl, postgresUrl: info.postgresUrl },
    stderr: process.stderr,
  });
}
