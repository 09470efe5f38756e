// Transactional consume-transform-produce runner on kafkajs (its public shapes: runner-types.ts).
//
// Guarantees (read_committed consumers of the outputs, one consumer group):
// - Outputs of an input batch and the group offset (last processed + 1) are committed in ONE
//   Kafka transaction (KIP-98), so a batch's outputs are visible exactly when its input is
//   marked consumed.
// - Any failure (handler throws, send or commit fails) aborts the transaction and the
//   partition is re-read from the group's committed offset, so nothing is lost or duplicated.
// - Zombie fencing uses one transactional id per input partition (see transactionalIdFor):
//   kafkajs 2.2.4 lacks KIP-447, so the per-instance id that Java clients use since Kafka 2.6
//   would let a consumer that lost its partition in a rebalance commit duplicates.
// - After every (re)assignment or failure, the first batch of a partition first initialises
//   that partition's producer (which fences any previous owner and settles its open
//   transaction) and only then reads the committed offset, re-positioning the consumer if
//   kafkajs fetched a stale one while the previous owner's commit was in flight.
// Costs: one producer (and connection set) per assigned partition, and one extra offset fetch
// per partition after each rebalance or failure.
import type { Admin, Consumer, EachBatchPayload, KafkaMessage, Producer } from 'kafkajs';
import { Partitioners } from 'kafkajs';
import { chunkRecords, groupByTopic } from './chunks.ts';
import { compressionTypeOf } from './codecs.ts';
import { unreadableBatchOf } from './unreadable.ts';
import type { UnreadableBatch } from './unreadable.ts';
import { KafkaIoError, classifyKafkaError, wouldKafkaJsRestart } from './errors.ts';
import { KafkaHealth } from './kafka-health.ts';
import { compareOffsets, planCommit, transactionalIdFor } from './offsets.ts';
import { backoffDelayMs, sleep } from './retry.ts';
import { leaveGroupAs } from './stale-member.ts';
import type { BackoffOptions } from './retry.ts';
import type { BatchOutput, OutputRecord, RunnerEvent, TransactionalRunnerOptions } from './runner-types.ts';

export type { BatchHandler, BatchInput, BatchOutput, OutputRecord, RunnerEvent, TransactionalRunnerOptions, UnreadableInput } from './runner-types.ts';

interface PartitionState {
  producer: Producer | null;
  needsOffsetCheck: boolean;
  failures: number;
  /** Consecutive failures that were not retriable; only these end the runner. */
  hardFailures: number;
}

const DEFAULT_RETRY: BackoffOptions = { initialDelayMs: 200, maxDelayMs: 10_000, maxRetries: 8 };

export class TransactionalRunner {
  private readonly opts: TransactionalRunnerOptions;
  private readonly consumer: Consumer;
  private readonly admin: Admin;
  private readonly partitions = new Map<string, PartitionState>();
  /** Per partition, the batch in progress (see onBatch). */
  private readonly partitionLocks = new Map<string, Promise<void>>();
  private readonly stopController = new AbortController();
  private readonly retry: BackoffOptions;
  private readonly heartbeatIntervalMs: number;
  private state: 'idle' | 'running' | 'stopping' | 'stopped' = 'idle';
  private paused = false;
  /** Consumer restarts since the group was last joined (see restartConsumer). */
  private consumerRestarts = 0;
  private readonly health: KafkaHealth;
  /** Member id of the last group join; after a crash, the member to leave before joining again (stale-member.ts). */
  private memberId: string | null = null;
  private staleMemberId: string | null = null;
  private fatalError: KafkaIoError | null = null;
  private stopPromise: Promise<void> | null = null;
  private resolveDone!: () => void;
  private rejectDone!: (err: KafkaIoError) => void;
  /** Settles when the runner has stopped: resolves after stop(), rejects after a fatal error. */
  readonly done: Promise<void>;

  constructor(options: TransactionalRunnerOptions) {
    this.opts = options;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 1_000;
    this.health = new KafkaHealth(options.health);
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      // Outputs of aborted transactions upstream (including our own deferred topic) must
      // never be routed: read only committed data.
      readUncommitted: false,
      sessionTimeout: options.sessionTimeoutMs ?? 6_000,
      heartbeatInterval: this.heartbeatIntervalMs,
      maxWaitTimeInMs: options.maxWaitTimeMs ?? 1_000,
      ...(options.minBytes !== undefined ? { minBytes: options.minBytes } : {}),
      ...(options.rebalanceTimeoutMs !== undefined ? { rebalanceTimeout: options.rebalanceTimeoutMs } : {}),
      ...(options.maxBytesPerPartition !== undefined ? { maxBytesPerPartition: options.maxBytesPerPartition } : {}),
      allowAutoTopicCreation: false,
      // Every crash comes to onConsumerDown, which restarts the consumer itself: kafkajs'
      // own restart delay is its retrier's last delay (up to kafka.retry.maxDelayMs after a
      // full retry sequence) and it cannot leave the group for the crashed member first.
      // retries: kafkajs' default for consumers.
      retry: { retries: 5, restartOnFailure: async () => false },
    });
    this.admin = options.kafka.admin();
    this.done = new Promise<void>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    // A rejected `done` that nobody awaits would crash the process; callers that care await it.
    this.done.catch(() => undefined);
  }

  async start(): Promise<void> {
    if (this.state !== 'idle') throw new KafkaIoError('stopped', `runner cannot start from state ${this.state}`);
    this.state = 'running';
    try {
      await this.admin.connect();
      await this.consumer.connect();
      this.consumer.on(this.consumer.events.GROUP_JOIN, (event) => {
        // New generation: kafkajs re-fetched committed offsets, possibly before a previous
        // owner's transaction settled. Re-check every partition before its next commit.
        for (const s of this.partitions.values()) s.needsOffsetCheck = true;
        this.consumerRestarts = 0;
        this.health.joined();
        this.memberId = event.payload.memberId;
        this.opts.onEvent?.({ type: 'assigned', assignment: event.payload.memberAssignment });
      });
      this.consumer.on(this.consumer.events.HEARTBEAT, () => this.health.heartbeat());
      this.consumer.on(this.consumer.events.CRASH, (event) => {
        const error = classifyKafkaError(event.payload.error);
        // What kafkajs itself would have restarted stays restartable.
        const restartable = wouldKafkaJsRestart(event.payload.error) && !error.retriable ? new KafkaIoError(error.code, error.message, { cause: error, retriable: true }) : error;
        this.onConsumerDown(restartable);
      });
      await this.consumer.subscribe({ topics: [...this.opts.topics], fromBeginning: this.opts.fromBeginning ?? true });
      await this.runConsumer();
    } catch (err) {
      const error = classifyKafkaError(err);
      await this.stop();
      throw error;
    }
  }

  private async runConsumer(): Promise<void> {
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.opts.maxInFlightBatches ?? 1,
      eachBatch: (payload) => this.onBatch(payload),
    });
  }

  /**
   * The consumer crashed and kafkajs will not restart it. kafkajs restarts only when the
   * innermost cause is marked retriable, but during a broker outage an unreachable group
   * coordinator arrives wrapped as KafkaJSNonRetriableError, which would end the runner. An
   * error retriable by classifyKafkaError (connection, coordinator, timeout) is waited out like
   * a failed batch: the consumer is started again after the capped backoff, for as long as it
   * lasts; anything else is fatal.
   */
  private onConsumerDown(error: KafkaIoError): void {
    this.health.consumerCrashed(error);
    if (!error.retriable) {
      this.fail(error);
      return;
    }
    if (this.state !== 'running') return;
    if (this.memberId !== null) {
      this.staleMemberId = this.memberId;
      this.memberId = null;
    }
    const attempt = ++this.consumerRestarts;
    const delayMs = backoffDelayMs(attempt - 1, this.retry);
    this.opts.onEvent?.({ type: 'consumer_restarting', error, attempt, delayMs });
    void sleep(delayMs, this.stopController.signal)
      .then(async () => {
        if (this.state !== 'running') return;
        await this.leaveAsStaleMember();
        // kafkajs disconnected the crashed consumer; a failed join crashes it again (CRASH).
        if (this.state === 'running') await this.runConsumer();
      })
      .catch((err: unknown) => this.onConsumerDown(classifyKafkaError(err)));
  }

  /**
   * Leaves the group for the member that crashed, so that the join that follows does not wait
   * for it to time out (see stale-member.ts). A coordinator that cannot be reached fails the
   * attempt like a failed join would: the consumer is restarted again after the backoff.
   */
  private async leaveAsStaleMember(): Promise<void> {
    const memberId = this.staleMemberId;
    if (memberId === null) return;
    const result = await leaveGroupAs(this.opts.kafka, this.opts.groupId, memberId);
    this.staleMemberId = null;
    this.opts.onEvent?.({ type: 'stale_member_left', memberId, result });
  }

  /** Finishes the in-flight batches (commit or abort), leaves the group and disconnects. Idempotent. */
  stop(): Promise<void> {
    if (this.stopPromise === null) this.stopPromise = this.shutdown();
    return this.stopPromise;
  }

  private async shutdown(): Promise<void> {
    this.state = 'stopping';
    this.stopController.abort();
    const errors: unknown[] = [];
    // consumer.disconnect() waits for the running eachBatch calls to return.
    await this.consumer.disconnect().catch((err: unknown) => errors.push(err));
    for (const s of this.partitions.values()) {
      if (s.producer !== null) await s.producer.disconnect().catch((err: unknown) => errors.push(err));
      s.producer = null;
    }
    await this.admin.disconnect().catch((err: unknown) => errors.push(err));
    this.state = 'stopped';
    if (this.fatalError !== null) this.rejectDone(this.fatalError);
    else this.resolveDone();
  }

  private fail(error: KafkaIoError): void {
    if (this.fatalError !== null) return;
    this.fatalError = error;
    this.opts.onEvent?.({ type: 'fatal', error });
    // Called from inside eachBatch: stop() waits for eachBatch to return, so it is started
    // here and observed through `done` (stopPromise is kept, not dropped).
    this.stopPromise ??= this.shutdown();
  }

  private stateOf(topic: string, partition: number): PartitionState {
    const key = `${topic}\u0000${partition}`;
    let s = this.partitions.get(key);
    if (s === undefined) {
      s = { producer: null, needsOffsetCheck: true, failures: 0, hardFailures: 0 };
      this.partitions.set(key, s);
    }
    return s;
  }

  private async producerFor(s: PartitionState, topic: string, partition: number): Promise<Producer> {
    if (s.producer !== null) return s.producer;
    const producer = this.opts.kafka.producer({
      transactionalId: transactionalIdFor(this.opts.transactionalIdPrefix, this.opts.groupId, topic, partition),
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: this.opts.transactionTimeoutMs ?? 60_000,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    s.producer = producer;
    return producer;
  }

  private async dropProducer(s: PartitionState): Promise<void> {
    const p = s.producer;
    s.producer = null;
    if (p !== null) await p.disconnect().catch(() => undefined);
  }

  private running(payload: EachBatchPayload): boolean {
    return this.state === 'running' && payload.isRunning() && !payload.isStale();
  }

  /** Runs `work` while heartbeating so long batches do not cost the group membership. */
  private async withHeartbeats<T>(payload: EachBatchPayload, work: () => Promise<T>): Promise<T> {
    let chain: Promise<void> = Promise.resolve();
    const timer = setInterval(() => {
      // Rebalance errors surface again at commit time (fencing); here they are only noted.
      chain = chain.then(() => payload.heartbeat()).catch(() => undefined);
    }, this.heartbeatIntervalMs);
    try {
      return await work();
    } finally {
      clearInterval(timer);
      await chain;
    }
  }

  private async waitWhileBackpressured(payload: EachBatchPayload): Promise<void> {
    const pressured = this.opts.isBackpressured;
    if (pressured === undefined || !pressured()) return;
    const topics = this.opts.topics.map((topic) => ({ topic }));
    this.consumer.pause(topics);
    this.paused = true;
    this.opts.onEvent?.({ type: 'paused' });
    try {
      while (pressured() && this.running(payload)) {
        await sleep(this.opts.backpressurePollMs ?? 50, this.stopController.signal);
        await payload.heartbeat().catch(() => undefined);
      }
    } finally {
      this.consumer.resume(topics);
      this.paused = false;
      this.opts.onEvent?.({ type: 'resumed' });
    }
  }

  private async committedOffset(topic: string, partition: number): Promise<string | null> {
    const result = await this.admin.fetchOffsets({ groupId: this.opts.groupId, topics: [topic] });
    const entry = result.find((t) => t.topic === topic)?.partitions.find((p) => p.partition === partition);
    if (entry === undefined || entry.offset === '-1' || entry.offset === '') return null;
    return entry.offset;
  }

  /**
   * One batch per partition at a time. When kafkajs restarts a crashed consumer (e.g. the
   * broker went away) it does not wait for the running eachBatch calls, so the new consumer can
   * hand out a partition whose old batch is still in its handler, and both would commit the
   * same input with the same (unfenced) producer. The new batch waits here for the old one to
   * commit or fail; its offset check (set by the rejoin) then skips what the old one committed.
   */
  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const key = `${payload.batch.topic}\u0000${payload.batch.partition}`;
    const previous = this.partitionLocks.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.partitionLocks.set(key, mine);
    try {
      await previous;
      await this.onBatchExclusive(payload);
    } finally {
      release();
      if (this.partitionLocks.get(key) === mine) this.partitionLocks.delete(key);
    }
  }

  private async onBatchExclusive(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const { topic, partition } = batch;
    if (!this.running(payload) || batch.messages.length === 0) return;
    const s = this.stateOf(topic, partition);
    const firstOffset = batch.messages[0]!.offset;
    let messages: readonly KafkaMessage[] = batch.messages;
    /** Whether a failure came from the handler (not Kafka's) or from a Kafka call. */
    const stage = { inHandler: false };

    try {
      await this.waitWhileBackpressured(payload);
      if (!this.running(payload)) return;

      const producer = await this.producerFor(s, topic, partition);
      if (s.needsOffsetCheck) {
        // InitProducerId (inside transaction()) fences the previous owner of this partition
        // and settles its open transaction; only then is the committed offset trustworthy.
        const probe = await producer.transaction();
        await probe.abort();
        const committed = await this.committedOffset(topic, partition);
        s.needsOffsetCheck = false;
        if (committed !== null && committed !== firstOffset) {
          if (compareOffsets(committed, firstOffset) < 0 || compareOffsets(committed, batch.lastOffset()) > 0) {
            this.opts.onEvent?.({ type: 'repositioned', topic, partition, from: firstOffset, to: committed });
            this.consumer.seek({ topic, partition, offset: committed });
            return;
          }
          messages = messages.filter((m) => compareOffsets(m.offset, committed) >= 0);
          this.opts.onEvent?.({ type: 'repositioned', topic, partition, from: firstOffset, to: committed });
          if (messages.length === 0) {
            payload.resolveOffset(batch.lastOffset());
            return;
          }
        }
      }

      await this.withHeartbeats(payload, async () => {
        stage.inHandler = true;
        const { output, unreadable } = await this.handle(topic, partition, messages);
        stage.inHandler = false;
        const plan = planCommit(messages.map((m) => m.offset), batch.lastOffset(), output.lastProcessedOffset);
        if (plan.kind === 'invalid') throw new KafkaIoError('handler_failed', plan.detail);
        if (plan.kind === 'nothing') {
          if (output.records.length > 0) throw new KafkaIoError('handler_failed', 'handler returned records but processed no input');
          return;
        }
        const skipped = this.unreadableOutputs(topic, partition, unreadable, plan.resolveOffset);
        const records = [...skipped.records, ...output.records];
        const compression = compressionTypeOf(this.opts.compression ?? 'none');
        const txn = await producer.transaction();
        try {
          // Size-bounded produce calls: outputs can outgrow their input (see chunks.ts).
          for (const chunk of chunkRecords(records, this.opts.maxSendBytes)) {
            await txn.sendBatch({ topicMessages: groupByTopic(chunk), compression });
          }
          await txn.sendOffsets({
            consumerGroupId: this.opts.groupId,
            topics: [{ topic, partitions: [{ partition, offset: plan.commitOffset }] }],
          });
          await this.opts.beforeCommit?.(topic, partition);
          await txn.commit();
        } catch (err) {
          if (txn.isActive()) await txn.abort().catch(() => undefined);
          throw err;
        }
        payload.resolveOffset(plan.resolveOffset);
        for (const event of skipped.events) this.opts.onEvent?.(event);
        s.failures = 0;
        s.hardFailures = 0;
        this.health.committed(topic, partition);
        this.opts.onEvent?.({
          type: 'committed',
          topic,
          partition,
          committedOffset: plan.commitOffset,
          inputs: plan.processed,
          outputs: records.length,
        });
      });
    } catch (err) {
      await this.recover(payload, s, firstOffset, err, stage.inHandler);
    }
  }

  /**
   * Calls the handler with the readable messages only. A handler that reports its last
   * readable message as processed has processed the whole batch, unreadable tail included.
   */
  private async handle(topic: string, partition: number, messages: readonly KafkaMessage[]): Promise<{ output: BatchOutput; unreadable: readonly KafkaMessage[] }> {
    const signal = this.stopController.signal;
    if (this.opts.onUnreadable === undefined) return { output: await this.opts.handler({ topic, partition, messages, signal }), unreadable: [] };
    const readable = messages.filter((m) => unreadableBatchOf(m) === undefined);
    const unreadable = messages.filter((m) => unreadableBatchOf(m) !== undefined);
    if (readable.length === 0) return { output: { records: [] }, unreadable };
    const output = await this.opts.handler({ topic, partition, messages: readable, signal });
    const lastReadable = readable[readable.length - 1]!.offset;
    if (output.lastProcessedOffset === lastReadable) return { output: { records: output.records }, unreadable };
    return { output, unreadable };
  }

  /** The onUnreadable records of the unreadable offsets a commit up to `resolveOffset` covers. */
  private unreadableOutputs(topic: string, partition: number, unreadable: readonly KafkaMessage[], resolveOffset: string): { records: OutputRecord[]; events: RunnerEvent[] } {
    const onUnreadable = this.opts.onUnreadable;
    const out: OutputRecord[] = [];
    if (onUnreadable === undefined) return { records: out, events: [] };
    const perBatch = new Map<UnreadableBatch, number>();
    for (const m of unreadable) {
      if (compareOffsets(m.offset, resolveOffset) > 0) break;
      const batch = unreadableBatchOf(m)!;
      perBatch.set(batch, (perBatch.get(batch) ?? 0) + 1);
      out.push(...onUnreadable({ topic, partition, offset: m.offset, batch }));
    }
    const events = [...perBatch].map(([batch, offsets]): RunnerEvent => ({ type: 'unreadable', topic, partition, batch, offsets }));
    return { records: out, events };
  }

  private async recover(payload: EachBatchPayload, s: PartitionState, firstOffset: string, err: unknown, inHandler: boolean): Promise<void> {
    const { topic, partition } = payload.batch;
    const error = err instanceof KafkaIoError ? err : classifyKafkaError(err);
    if (!inHandler) this.health.transactionFailed(topic, partition, error);
    s.failures++;
    if (!error.retriable) s.hardFailures++;
    s.needsOffsetCheck = true;
    // A fenced or half-failed producer cannot be reused; a fresh one re-initialises the
    // transactional id, which also settles a commit whose outcome we did not see.
    await this.dropProducer(s);
    if (error.code === 'fenced') {
      this.opts.onEvent?.({ type: 'fenced', topic, partition });
    } else {
      this.opts.onEvent?.({ type: 'aborted', topic, partition, firstOffset, attempt: s.failures, error });
    }
    if (this.state !== 'running') return;
    if (s.hardFailures > this.retry.maxRetries) {
      this.fail(new KafkaIoError('handler_failed', `partition ${topic}[${partition}] failed ${s.failures} times in a row at offset ${firstOffset}`, { cause: error }));
      return;
    }
    // Re-read from the first unprocessed offset; the offset check on the next batch moves the
    // position to the committed offset if a commit we could not confirm did go through.
    this.consumer.seek({ topic, partition, offset: firstOffset });
    await sleep(backoffDelayMs(s.failures - 1, this.retry), this.stopController.signal);
    await payload.heartbeat().catch(() => undefined);
  }

  /** True while fetching is paused for downstream backpressure. */
  isPaused(): boolean {
    return this.paused;
  }
}
