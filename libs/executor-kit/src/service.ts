// The shell every executor service shares: one executor per served model on the shared
// configuration's topics and Kafka settings, one consumer group per model topic, and a `done`
// that settles for the whole service (a failure of one executor stops the others). A service
// supplies only what differs: its name, the models it serves and how a batch is executed.
// With an HTTP port it serves the ops endpoints (/metrics, /healthz, /readyz) like the other
// services, readiness included: Kafka's and the registry's failure clocks (and Postgres' when the
// service passes its own clocks for a pool of its own).
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { SwitchyardConfig } from '@switchyard/config';
import { createRegistryClient, reportingRegistry } from '@switchyard/contracts';
import { createKafka, ensureTopics } from '@switchyard/kafka-io';
import { DependencyHealth, startOpsServer } from '@switchyard/ops';
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
  /** Ops endpoints; a null port (the default) serves none, 0 picks a free one. */
  readonly http?: { readonly host: string; readonly port: number | null };
  /** Failure clocks shared with the service's own I/O (a Postgres pool); default: new ones from `ops`. */
  readonly health?: DependencyHealth;
}

export interface ModelExecutorsHandle {
  /** Settles when every executor stopped: resolves after stop(), rejects if one failed. */
  readonly done: Promise<void>;
  stop(): Promise<void>;
  /** Failure clocks of Kafka and the registry (and what the service reports itself). */
  readonly health: DependencyHealth;
  /** Port of the ops endpoints; null when none are served. */
  readonly httpPort: number | null;
}

export function dependencyHealthOf(sy: SwitchyardConfig): DependencyHealth {
  return new DependencyHealth({ readyFailureMs: sy.ops.readyFailureMs, maxFailureDurationMs: sy.ops.maxFailureDurationMs });
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
  const health = o.health ?? dependencyHealthOf(sy);
  const registry = reportingRegistry(
    createRegistryClient({ url: sy.registry.url, username: sy.registry.username, password: sy.registry.password, requestTimeoutMs: sy.registry.requestTimeoutMs }),
    health.reporter('registry'),
  );

  const groupPrefix = o.groupIdPrefix ?? `${sy.kafka.clientId}.${o.service}`;
  const executors: ExecutorHandle[] = [];
  let state: 'starting' | 'running' | 'stopping' = 'starting';
  let closeOps: () => Promise<void> = async () => undefined;
  const stopAll = async (): Promise<void> => {
    state = 'stopping';
    await Promise.all(executors.map((e) => e.stop()));
    await closeOps().catch((err: unknown) => log.warn({ err }, 'closing the ops endpoints failed'));
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
          health: health.reporter('kafka', model),
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
  let httpPort: number | null = null;
  if (o.http !== undefined && o.http.port !== null) {
    const ops = await startOpsServer(o.http.host, o.http.port, new Registry(), { live: () => true, ready: () => state === 'running', health }).catch(async (err: unknown) => {
      await stopAll();
      throw err;
    });
    closeOps = () => ops.close();
    httpPort = ops.port;
    log.info({ port: httpPort }, 'ops endpoints listening');
  }
  state = 'running';
  const done = Promise.all(executors.map((e) => e.done)).then(() => undefined);
  // A failure of one executor stops the others, so `done` settles for the whole service.
  done.catch(() => stopAll().catch(() => undefined));
  return { done, stop: stopAll, health, httpPort };
}
