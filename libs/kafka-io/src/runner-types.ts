// The runner's public shapes: what a handler receives and returns, the events it reports and
// its options (the runner itself is in runner.ts).
import type { IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import type { DependencyReporter } from '@switchyard/ops';
import type { CompressionCodec } from './codecs.ts';
import type { KafkaIoError } from './errors.ts';
import type { BackoffOptions } from './retry.ts';
import type { UnreadableBatch } from './unreadable.ts';

export interface OutputRecord {
  readonly topic: string;
  readonly key?: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly headers?: IHeaders;
  /** Explicit partition; default: kafkajs' Java-compatible murmur2 partitioner on the key. */
  readonly partition?: number;
}

export interface BatchInput {
  readonly topic: string;
  readonly partition: number;
  /** Messages to process, ascending offsets; never empty. */
  readonly messages: readonly KafkaMessage[];
  /** Aborted when the runner stops; a handler may give up early (the batch is then re-read). */
  readonly signal: AbortSignal;
}

export interface BatchOutput {
  readonly records: readonly OutputRecord[];
  /** Offset of the last input message the records account for; default: the last message. */
  readonly lastProcessedOffset?: string;
}

export type BatchHandler = (input: BatchInput) => Promise<BatchOutput>;

/** One offset of a record batch that could not be decoded (see unreadable.ts). */
export interface UnreadableInput {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly batch: UnreadableBatch;
}

export type RunnerEvent =
  | { readonly type: 'committed'; readonly topic: string; readonly partition: number; readonly committedOffset: string; readonly inputs: number; readonly outputs: number }
  | { readonly type: 'aborted'; readonly topic: string; readonly partition: number; readonly firstOffset: string; readonly attempt: number; readonly error: KafkaIoError }
  | { readonly type: 'repositioned'; readonly topic: string; readonly partition: number; readonly from: string; readonly to: string }
  | { readonly type: 'fenced'; readonly topic: string; readonly partition: number }
  | { readonly type: 'unreadable'; readonly topic: string; readonly partition: number; readonly batch: UnreadableBatch; readonly offsets: number }
  | { readonly type: 'assigned'; readonly assignment: Readonly<Record<string, readonly number[]>> }
  | { readonly type: 'paused' }
  | { readonly type: 'resumed' }
  | { readonly type: 'consumer_restarting'; readonly error: KafkaIoError; readonly attempt: number; readonly delayMs: number }
  | { readonly type: 'stale_member_left'; readonly memberId: string; readonly result: 'left' | 'unknown_member' | 'unsupported' }
  | { readonly type: 'fatal'; readonly error: KafkaIoError };

export interface TransactionalRunnerOptions {
  readonly kafka: Kafka;
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Prefix of the per-partition transactional ids; stable across restarts and equal on every instance of the service. */
  readonly transactionalIdPrefix: string;
  readonly handler: BatchHandler;
  /** Input batches (partitions) processed concurrently; bounds in-flight work. Default 1. */
  readonly maxInFlightBatches?: number;
  /**
   * Backoff between attempts of a failed batch, and how many consecutive non-retriable failures
   * of one partition end the runner (done rejects). Retriable failures (a broker or database
   * that is unreachable: see KafkaIoError.retriable) never end it: they are retried with the
   * capped backoff for as long as they last, so an outage is waited out instead of crashing.
   */
  readonly retry?: BackoffOptions;
  readonly sessionTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  /** How long the group waits for members to rejoin during a rebalance (kafkajs default 60 s). */
  readonly rebalanceTimeoutMs?: number;
  readonly transactionTimeoutMs?: number;
  readonly maxBytesPerPartition?: number;
  /**
   * Longest a fetch waits for new records (kafkajs default 5000). A stop waits for the fetch in
   * flight before it leaves the group, so this bounds how long a graceful stop keeps its
   * partitions from the other members. Default 1000: one empty fetch a second when idle.
   */
  readonly maxWaitTimeMs?: number;
  /**
   * Fewest bytes a fetch answers with before `maxWaitTimeMs` has passed (kafkajs default 1).
   * Larger values let records accumulate into larger slices at modest arrival rates, so the
   * per-slice costs (a transaction, its statements) are spread over more records.
   */
  readonly minBytes?: number;
  /** Bound on the estimated bytes of one produce call inside a transaction (default 512 KiB); keep it below the output topics' max.message.bytes. */
  readonly maxSendBytes?: number;
  /** Read a new group's partitions from the beginning (default) or only new messages. */
  readonly fromBeginning?: boolean;
  /** Downstream pressure (e.g. a full worker-pool queue): while true, fetching is paused. */
  readonly isBackpressured?: () => boolean;
  readonly backpressurePollMs?: number;
  readonly onEvent?: (event: RunnerEvent) => void;
  /**
   * Output records (a dead letter) for each offset of a record batch that could not be decoded
   * (unknown codec, corrupt data). They are committed in the same transaction as the offsets
   * past it, so the partition moves on; the handler never sees such offsets. Without it the
   * placeholders (null key and value, no headers) reach the handler like any record.
   */
  readonly onUnreadable?: (input: UnreadableInput) => readonly OutputRecord[];
  /** Compression of the output records (default none); every consumer in the project reads all codecs. */
  readonly compression?: CompressionCodec;
  /**
   * Fault-injection seam: awaited inside the transaction after the outputs and offsets were
   * sent and before commit. Throwing here aborts a transaction whose records are already in
   * the log, which is how the delivery tests prove read_committed consumers never see them.
   */
  readonly beforeCommit?: (topic: string, partition: number) => void | Promise<void>;
  /** Kafka's failure clock (see kafka-health.ts for what counts). */
  readonly health?: DependencyReporter;
}
