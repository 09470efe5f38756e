// The executor: one executor-kit executor per configured model, each calling that model's
// OpenAI-compatible endpoint for the requests routed to it.
import type { Logger } from 'pino';
import { pino } from 'pino';
import { createRegistryClient } from '@switchyard/contracts';
import { startExecutor } from '@switchyard/executor-kit';
import type { ExecutorHandle } from '@switchyard/executor-kit';
import { createKafka, ensureTopics, sleep } from '@switchyard/kafka-io';
import type { CallDeps } from './call.ts';
import type { ExecutorOpenaiConfig } from './config.ts';
import { createModelRunner } from './execute.ts';

export interface StartExecutorOpenaiOptions {
  readonly logger?: Logger;
  /** Replaces global fetch and the clock (tests). */
  readonly deps?: Partial<CallDeps>;
}

export interface ExecutorOpenaiHandle {
  /** Settles when every executor stopped: resolves after stop(), rejects if one failed. */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

// Left of the transaction for producing outcomes and committing after the last call settles.
const COMMIT_MARGIN_MS = 2_000;

export async function startExecutorOpenai(config: ExecutorOpenaiConfig, options: StartExecutorOpenaiOptions = {}): Promise<ExecutorOpenaiHandle> {
  const sy = config.switchyard;
  const svc = config.service;
  const log = options.logger ?? pino({ level: sy.log.level, base: { service: 'executor-openai' } });
  const deps: CallDeps = {
    fetch: options.deps?.fetch ?? ((url, init) => fetch(url, init)),
    now: options.deps?.now ?? Date.now,
    sleep: options.deps?.sleep ?? sleep,
    random: options.deps?.random ?? Math.random,
  };
  const kafka = createKafka(sy.kafka, {
    role: 'executor-openai',
    logLevel: 'warn',
    onLog: (r) => log[r.level === 'error' ? 'error' : r.level === 'warn' ? 'warn' : 'debug']({ kafka: r.namespace, ...r.extra }, r.message),
  });
  const served = config.endpoints.map((e) => e.model);
  const spec = (topic: string) => ({ topic, partitions: sy.topics.partitions, replicationFactor: sy.topics.replicationFactor });
  await ensureTopics(kafka, [spec(sy.topics.outcomes), spec(sy.topics.deadLetter), ...served.map((m) => spec(sy.topics.routedByModel[m]!))]);
  const registry = createRegistryClient({ url: sy.registry.url, username: sy.registry.username, password: sy.registry.password, requestTimeoutMs: sy.registry.requestTimeoutMs });

  const groupPrefix = svc.groupIdPrefix ?? `${sy.kafka.clientId}.executor-openai`;
  // The kit starts no batch after half the transaction timeout; the batch runs in the other half.
  const batchBudgetMs = Math.max(1_000, sy.kafka.transactionTimeoutMs / 2 - COMMIT_MARGIN_MS);
  const executors: ExecutorHandle[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(executors.map((e) => e.stop()));
  };
  try {
    for (const endpoint of config.endpoints) {
      const topic = sy.topics.routedByModel[endpoint.model]!;
      const runner = createModelRunner(endpoint, svc.retry, deps);
      const mlog = log.child({ model: endpoint.model });
      executors.push(
        await startExecutor({
          kafka,
          registry,
          model: endpoint.model,
          routedTopic: topic,
          outcomesTopic: sy.topics.outcomes,
          deadLetterTopic: sy.topics.deadLetter,
          groupId: `${groupPrefix}.${topic}`,
          transactionalIdPrefix: `${groupPrefix}.${topic}`,
          segmentMetadataKey: svc.segmentMetadataKey,
          serviceName: `executor-openai/${endpoint.model}`,
          maxInFlightBatches: svc.maxInFlightBatches,
          sessionTimeoutMs: sy.kafka.sessionTimeoutMs,
          heartbeatIntervalMs: sy.kafka.heartbeatIntervalMs,
          transactionTimeoutMs: sy.kafka.transactionTimeoutMs,
          retry: sy.kafka.retry,
          onEvent: (e) => {
            if (e.type === 'aborted' || e.type === 'fatal') mlog.warn({ event: e.type, err: e.error }, 'executor batch failed');
            else if (e.type === 'dead_lettered') mlog.warn({ reason: e.reason, detail: e.detail, offset: e.offset }, 'batch dead-lettered');
            else if (e.type === 'executed') mlog.debug({ batchId: e.batchId, requests: e.requests, errors: e.errors }, 'batch executed');
          },
          execute: (batch, ctx) => runner.executeBatch(batch, deps.now() + batchBudgetMs, ctx.signal),
        }),
      );
      mlog.info({ topic, upstreamModel: endpoint.upstreamModel, url: endpoint.chatCompletionsUrl }, 'executor started');
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  const done = Promise.all(executors.map((e) => e.done)).then(() => undefined);
  // A failure of one executor stops the others, so `done` settles for the whole service.
  done.catch(() => stopAll().catch(() => undefined));
  return { done, stop: stopAll };
}
