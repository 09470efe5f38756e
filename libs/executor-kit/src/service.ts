// The shell every executor service shares: one executor per served model on the shared
// configuration's topics and Kafka settings, one consumer group per model topic, and a `done`
// that settles for the whole service (a failure of one executor stops the others). A service
// supplies only what differs: its name, the models it serves and how a batch is executed.
import type { Logger } from 'pino';
import type { SwitchyardConfig } from '@switchyard/config';
import { createRegistryClient } from '@switchyard/contracts';
import { createKafka, ensureTopics } from '@switchyard/kafka-io';
import { startExecutor } from './executor.ts';
import type { ExecuteBatch, ExecutorHandle } from './executor.ts';

export interface ModelExecutorsOptions {
  /** Kafka client role, log and dead-letter name: `<service>/<model>`. */
  readonly service: string;
  readonly models: readonly string[];
  /** Consumer groups and transactional ids are `<prefix>.<topic>`; default `<clientId>.<service>`. */
  readonly groupIdPrefix?: string | undefined;
  readonly segmentMetadataKey: string;
  readonly maxInFlightBatches: number;
  /**
   * Requests a model failed permanently (ExecutionResult.handBack) go back to the router
   * through topics.deferred (default false: they end as error outcomes).
   */
  readonly handBack?: boolean;
  readonly log: Logger;
  /** The batch executor of one model. */
  readonly executeFor: (model: string, log: Logger) => ExecuteBatch;
}

export interface ModelExecutorsHandle {
  /** Settles when every executor stopped: resolves after stop(), rejects if one failed. */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

export async function startModelExecutors(sy: SwitchyardConfig, o: ModelExecutorsOptions): Promise<ModelExecutorsHandle> {
  const { log } = o;
  const kafka = createKafka(sy.kafka, {
    role: o.service,
    logLevel: 'warn',
    onLog: (r) => log[r.level === 'error' ? 'error' : r.level === 'warn' ? 'warn' : 'debug']({ kafka: r.namespace, ...r.extra }, r.message),
  });
  const spec = (topic: string) => ({ topic, partitions: sy.topics.partitions, replicationFactor: sy.topics.replicationFactor });
  await ensureTopics(kafka, [spec(sy.topics.outcomes), spec(sy.topics.deadLetter), ...(o.handBack === true ? [spec(sy.topics.deferred)] : []), ...o.models.map((m) => spec(sy.topics.routedByModel[m]!))]);
  const registry = createRegistryClient({ url: sy.registry.url, username: sy.registry.username, password: sy.registry.password, requestTimeoutMs: sy.registry.requestTimeoutMs });

  const groupPrefix = o.groupIdPrefix ?? `${sy.kafka.clientId}.${o.service}`;
  const executors: ExecutorHandle[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(executors.map((e) => e.stop()));
  };
  try {
    for (const model of o.models) {
      const topic = sy.topics.routedByModel[model]!;
      const mlog = log.child({ model });
      executors.push(
        await startExecutor({
          kafka,
          registry,
          model,
          routedTopic: topic,
          outcomesTopic: sy.topics.outcomes,
          deadLetterTopic: sy.topics.deadLetter,
          ...(o.handBack === true ? { deferredTopic: sy.topics.deferred } : {}),
          groupId: `${groupPrefix}.${topic}`,
          transactionalIdPrefix: `${groupPrefix}.${topic}`,
          segmentMetadataKey: o.segmentMetadataKey,
          serviceName: `${o.service}/${model}`,
          maxInFlightBatches: o.maxInFlightBatches,
          sessionTimeoutMs: sy.kafka.sessionTimeoutMs,
          heartbeatIntervalMs: sy.kafka.heartbeatIntervalMs,
          transactionTimeoutMs: sy.kafka.transactionTimeoutMs,
          retry: sy.kafka.retry,
          onEvent: (e) => {
            if (e.type === 'aborted' || e.type === 'fatal') mlog.warn({ event: e.type, err: e.error }, 'executor batch failed');
            else if (e.type === 'dead_lettered') mlog.warn({ reason: e.reason, detail: e.detail, offset: e.offset }, 'batch dead-lettered');
            else if (e.type === 'executed') mlog[e.handedBack > 0 ? 'info' : 'debug']({ batchId: e.batchId, requests: e.requests, errors: e.errors, handedBack: e.handedBack }, 'batch executed');
          },
          execute: o.executeFor(model, mlog),
        }),
      );
      mlog.info({ topic }, 'executor started');
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
