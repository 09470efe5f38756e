// Consume one model's routed batches and report an outcome per request, exactly once.
//
// Built on the transactional runner of @switchyard/kafka-io: the model topic is read
// read_committed in a consumer group (so batches of aborted router transactions are never
// executed), and the outcomes of a batch are written in the same Kafka transaction that
// commits its offset (KIP-98). A crash before the commit re-executes the batch and the first
// attempt's outcomes are never visible; read_committed readers of the outcomes topic see each
// request's outcome once. The cost: a batch must execute within kafka.transactionTimeoutMs
// (60 s by default). Executors whose calls take longer consume the topic themselves and use
// OutcomeReporter (at-least-once; the recorder drops duplicates).
import type { Kafka } from 'kafkajs';
import { AvroSerde, contracts, unreadableDeadLetter } from '@switchyard/contracts';
import type { DeadLetterReason, DeadLetterV1, DeferredV3, OutcomeV2, RegistryPort, RoutedBatchV3 } from '@switchyard/contracts';
import { TransactionalRunner } from '@switchyard/kafka-io';
import type { BackoffOptions, OutputRecord, RunnerEvent } from '@switchyard/kafka-io';
import type { DependencyReporter } from '@switchyard/ops';
import { context, endWithError, injectTraceHeaders } from '@switchyard/telemetry';
import type { OutgoingHeaders } from '@switchyard/telemetry';
import { ExecutorKitError } from './errors.ts';
import { DEFAULT_SEGMENT_METADATA_KEY, planBatchOutcomes } from './outcome.ts';
import type { ExecutionResult } from './outcome.ts';
import { outcomeRecord } from './reporter.ts';
import { startExecuteSpan } from './tracing.ts';

export interface BatchContext {
  readonly topic: string;
  readonly partition: number;
  /** Offset of the batch's record (decimal string). */
  readonly offset: string;
  /** Aborted when the executor stops: give up early; the batch is then executed again later. */
  readonly signal: AbortSignal;
}

/** Executes a routed batch and returns one result per request (errors included, as results). */
export type ExecuteBatch = (batch: RoutedBatchV3, context: BatchContext) => Promise<readonly ExecutionResult[]>;

export type ExecutorEvent =
  | RunnerEvent
  | { readonly type: 'executed'; readonly batchId: string; readonly requests: number; readonly errors: number; readonly handedBack: number }
  | { readonly type: 'dead_lettered'; readonly reason: DeadLetterReason; readonly detail: string; readonly offset: string };

export interface ExecutorOptions {
  readonly kafka: Kafka;
  readonly registry: RegistryPort;
  /** Model this executor serves; batches for another model are dead-lettered (unknown_model). */
  readonly model: string;
  /** The model's topic (config `topics.routedByModel[model]`). */
  readonly routedTopic: string;
  readonly outcomesTopic: string;
  /** Undecodable batch records go here (Avro DeadLetter) so they never block the partition. */
  readonly deadLetterTopic: string;
  /**
   * The router's deferred topic (config `topics.deferred`). Given, a request the model failed
   * permanently (ExecutionResult.handBack) is written there for the router to route to another
   * model, in the transaction that commits the batch; absent, it gets an error outcome.
   */
  readonly deferredTopic?: string;
  /** Consumer group; every instance serving this model uses the same one. */
  readonly groupId: string;
  /** Prefix of the per-partition transactional ids; stable across restarts, equal on every instance. */
  readonly transactionalIdPrefix: string;
  readonly execute: ExecuteBatch;
  /** Routed-request metadata key whose value is sent as the segment header (default `task`). */
  readonly segmentMetadataKey?: string;
  /** Written into dead letters' `service` field (default `executor/<model>`). */
  readonly serviceName?: string;
  /** Partitions executed concurrently (default 1). */
  readonly maxInFlightBatches?: number;
  readonly retry?: BackoffOptions;
  readonly sessionTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  readonly transactionTimeoutMs?: number;
  /**
   * No new batch starts in a transaction after this long (default: half of
   * transactionTimeoutMs, 30 s by default); the rest of the fetched slice is read again and
   * goes into the next transaction. With one batch executing in at most the other half, the
   * transaction ends before the broker times it out.
   */
  readonly transactionBudgetMs?: number;
  /** Most batches executed in one transaction (default 32). */
  readonly maxBatchesPerTransaction?: number;
  /** A new group starts at the beginning of the topic (default true). */
  readonly fromBeginning?: boolean;
  readonly onEvent?: (event: ExecutorEvent) => void;
  /** Clock for outcomes without completedAt and for dead letters (tests pass a fixed one). */
  readonly now?: () => number;
  /**
   * Fault-injection seam (see TransactionalRunnerOptions.beforeCommit): throwing here aborts a
   * transaction whose outcomes are already in the log; delivery tests use it.
   */
  readonly beforeCommit?: (topic: string, partition: number) => void | Promise<void>;
  /** Kafka's failure clock (see TransactionalRunnerOptions.health). */
  readonly health?: DependencyReporter;
}

export interface ExecutorHandle {
  /** Settles when the executor stopped: resolves after stop(), rejects on a fatal error. */
  readonly done: Promise<void>;
  /** Finishes or aborts in-flight batches, leaves the group, disconnects. Idempotent. */
  stop(): Promise<void>;
}

function withHeaders(record: OutputRecord, extra: OutgoingHeaders | undefined): OutputRecord {
  return extra === undefined ? record : { ...record, headers: { ...record.headers, ...extra } };
}

function checkOptions(o: ExecutorOptions): void {
  const empty = (['model', 'routedTopic', 'outcomesTopic', 'deadLetterTopic', 'groupId', 'transactionalIdPrefix'] as const).filter((k) => o[k].length === 0);
  if (empty.length > 0) throw new ExecutorKitError('invalid_options', `must not be empty: ${empty.join(', ')}`);
}

export async function startExecutor(options: ExecutorOptions): Promise<ExecutorHandle> {
  checkOptions(options);
  const now = options.now ?? Date.now;
  const budgetMs = options.transactionBudgetMs ?? (options.transactionTimeoutMs ?? 60_000) / 2;
  const maxBatches = options.maxBatchesPerTransaction ?? 32;
  if (!(budgetMs > 0) || !(maxBatches >= 1)) throw new ExecutorKitError('invalid_options', 'transactionBudgetMs and maxBatchesPerTransaction must be positive');
  const service = options.serviceName ?? `executor/${options.model}`;
  let batches: AvroSerde<RoutedBatchV3>;
  let handBacks: AvroSerde<DeferredV3> | null = null;
  let outcomes: AvroSerde<OutcomeV2>;
  let deadLetters: AvroSerde<DeadLetterV1>;
  try {
    // Registering an identical schema returns its id (Confluent API), so an executor may
    // start before the router has written its first batch.
    batches = await AvroSerde.forTopic(options.registry, options.routedTopic, contracts.routedBatch);
    outcomes = await AvroSerde.forTopic(options.registry, options.outcomesTopic, contracts.outcome);
    deadLetters = await AvroSerde.forTopic(options.registry, options.deadLetterTopic, contracts.deadLetter);
    if (options.deferredTopic !== undefined) handBacks = await AvroSerde.forTopic(options.registry, options.deferredTopic, contracts.deferred);
  } catch (cause) {
    throw new ExecutorKitError('registry', 'cannot resolve the executor schemas', { cause });
  }

  const runner = new TransactionalRunner({
    kafka: options.kafka,
    groupId: options.groupId,
    topics: [options.routedTopic],
    transactionalIdPrefix: options.transactionalIdPrefix,
    maxInFlightBatches: options.maxInFlightBatches ?? 1,
    fromBeginning: options.fromBeginning ?? true,
    ...(options.retry !== undefined ? { retry: options.retry } : {}),
    ...(options.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: options.sessionTimeoutMs } : {}),
    ...(options.heartbeatIntervalMs !== undefined ? { heartbeatIntervalMs: options.heartbeatIntervalMs } : {}),
    ...(options.transactionTimeoutMs !== undefined ? { transactionTimeoutMs: options.transactionTimeoutMs } : {}),
    ...(options.onEvent !== undefined ? { onEvent: options.onEvent } : {}),
    ...(options.beforeCommit !== undefined ? { beforeCommit: options.beforeCommit } : {}),
    ...(options.health !== undefined ? { health: options.health } : {}),
    onUnreadable: (u) => [{ topic: options.deadLetterTopic, key: null, value: deadLetters.encode(unreadableDeadLetter(u, service, now())) }],
    handler: async ({ topic, partition, messages, signal }) => {
      const records: OutputRecord[] = [];
      const deadLetter = (message: (typeof messages)[number], reason: DeadLetterReason, detail: string): void => {
        records.push({
          topic: options.deadLetterTopic,
          key: message.key,
          value: deadLetters.encode({
            reason,
            detail,
            sourceTopic: topic,
            sourcePartition: partition,
            sourceOffset: Number(message.offset),
            originalKey: message.key,
            originalValue: message.value,
            originalHeaders: Object.entries(message.headers ?? {}).flatMap(([key, v]) =>
              (Array.isArray(v) ? v : [v]).map((value) => ({ key, value: value === undefined ? null : Buffer.from(value) })),
            ),
            failedAt: now(),
            service,
          }),
        });
        options.onEvent?.({ type: 'dead_lettered', reason, detail, offset: message.offset });
      };
      const started = performance.now();
      let lastDone: string | undefined;
      let handled = 0;
      for (const message of messages) {
        if (handled > 0 && (handled >= maxBatches || performance.now() - started >= budgetMs)) break;
        handled++;
        lastDone = message.offset;
        const decoded = await batches.decode(message.value);
        if (!decoded.ok) {
          deadLetter(message, decoded.reason, decoded.detail);
          continue;
        }
        const batch = decoded.value;
        if (batch.model !== options.model) {
          deadLetter(message, 'unknown_model', `batch ${batch.batchId} is for model ${batch.model}, this executor serves ${options.model}`);
          continue;
        }
        const at = { topic, partition, offset: message.offset, signal };
        const traced = startExecuteSpan(message.headers, batch, at);
        try {
          const results = traced === null ? await options.execute(batch, at) : await context.with(traced.context, () => options.execute(batch, at));
          const segmentMetadataKey = options.segmentMetadataKey ?? DEFAULT_SEGMENT_METADATA_KEY;
          const plan = planBatchOutcomes(batch, results, { nowMs: now(), segmentMetadataKey, handBack: handBacks !== null });
          // A bug in the executor: failing the batch (it is retried, then the executor stops)
          // is better than committing it without the outcomes.
          if (!plan.ok) throw new ExecutorKitError(plan.problem, plan.detail);
          const trace = traced === null ? undefined : injectTraceHeaders(traced.context);
          for (const { outcome, segment } of plan.outcomes) records.push(withHeaders({ topic: options.outcomesTopic, ...outcomeRecord(outcomes, outcome, segment) }, trace));
          // Same transaction as the outcomes and the offset: a crash before the commit hands
          // nothing back (the batch runs again), a commit hands each request back once.
          for (const d of plan.handBacks) records.push(withHeaders({ topic: options.deferredTopic!, key: d.request.requestId, value: handBacks!.encode(d) }, trace));
          const errors = plan.outcomes.filter((o) => o.outcome.error !== null).length;
          traced?.span.setAttributes({ 'switchyard.outcomes': plan.outcomes.length, 'switchyard.errors': errors, 'switchyard.handed_back': plan.handBacks.length });
          traced?.span.end();
          options.onEvent?.({ type: 'executed', batchId: batch.batchId, requests: plan.outcomes.length, errors, handedBack: plan.handBacks.length });
        } catch (err) {
          if (traced !== null) endWithError(traced.span, err);
          throw err;
        }
      }
      return { records, ...(lastDone !== undefined ? { lastProcessedOffset: lastDone } : {}) };
    },
  });
  await runner.start();
  return { done: runner.done, stop: () => runner.stop() };
}
