// The engine's vocabulary for one slice: Kafka-shaped records in, messages and decisions out.
// Plain data, so the router (Kafka), file mode (a virtual log) and tests speak it alike.
import type { DeadLetterReason, HeaderV1, RequestV3 } from '@switchyard/contracts';
import type { DecisionFeatures } from './feedback-loop.ts';

export interface InputRecord {
  readonly topic: string;
  readonly partition: number;
  /** Kafka offsets are int64; kept as the decimal string kafkajs gives. */
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly HeaderV1[];
}

export interface OutputMessage {
  readonly topic: string;
  readonly key: Buffer | string | null;
  readonly value: Buffer;
}

export type DecisionOutcome = 'routed' | 'deferred' | 'rejected';

/** One routing decision; the store's decision record has exactly these fields. */
export interface RoutingDecision {
  readonly requestId: string;
  readonly jobId: string;
  readonly tenant: string;
  readonly outcome: DecisionOutcome;
  readonly model: string | null;
  readonly batchId: string | null;
  readonly fallbackRank: number | null;
  readonly promptTokens: number;
  readonly estimatedTokens: number | null;
  readonly predictedQuality: number | null;
  readonly predictedCostUsd: number | null;
  readonly score: number | null;
  readonly dualPrice: number | null;
  readonly scores: ArrayLike<number>;
  readonly reason: string | null;
  readonly deferUntilMs: number | null;
  readonly deferrals: number;
  readonly policy: string;
  readonly routerInstance: string;
  readonly sourceTopic: string;
  readonly sourcePartition: number;
  /** int64 as a decimal string. */
  readonly sourceOffset: string;
  readonly decidedAtMs: number;
  /** What the feedback loop needs from a routed decision; absent or null: none stored. */
  readonly features?: DecisionFeatures | null;
}

/** A window lease request/return for a shared budget store (leased ledger mode). */
export interface LeaseItem {
  readonly ruleId: string;
  readonly subject: string;
  readonly windowStartMs: number;
  readonly windowMs: number;
  readonly limitTokens: number;
  readonly tokens: number;
}

/** The shared budget windows several engines draw from (the router: Postgres). */
export interface BudgetStorePort {
  /** Grants up to `tokens` per item from the shared windows; returns the granted amounts. */
  acquire(items: readonly LeaseItem[]): Promise<number[]>;
  /** Returns unused grants. */
  release(items: readonly LeaseItem[]): Promise<void>;
}

export interface SliceStats {
  consumed: number;
  routedByModel: Map<string, number>;
  deferred: number;
  /** Rerouted requests ended with an all_models_failed outcome. */
  allModelsFailed: number;
  deadLetters: Map<DeadLetterReason, number>;
  batches: { model: string; requests: number; tokens: number }[];
  scoringMs: number[];
}

export interface SliceResult {
  readonly messages: OutputMessage[];
  readonly decisions: RoutingDecision[];
  /** How many input records were handled; the rest (a deferred record not yet due) stay unread. */
  readonly processed: number;
  /** When a not-yet-due deferred record stopped the slice: when it becomes due. */
  readonly pauseUntilMs: number | null;
  readonly stats: SliceStats;
}

/** A request read, validated and waiting to be scored. */
export interface Candidate {
  readonly record: InputRecord;
  readonly request: RequestV3;
  /** Deferrals so far (0 for a request read from the requests topic). */
  readonly deferrals: number;
  readonly order: number;
}

/** A candidate with the workers' estimates (adjusted by feedback when it is on). */
export interface Scored extends Candidate {
  readonly promptTokens: number;
  readonly quality: Float64Array;
  readonly costUsd: Float64Array;
  readonly estimatedTokens: Float64Array;
  readonly kernelScores: Float64Array;
  /** With feedback: the unit embedding searched with, and the raw estimates before adjust. */
  readonly feedback: { readonly embedding: Float32Array; readonly quality: Float64Array; readonly costUsd: Float64Array; readonly outputTokens: Float64Array } | null;
}

/** What prepare hands to decide: the slice read, scored and in priority order. */
export interface PreparedSlice {
  readonly records: readonly InputRecord[];
  /** Requests to decide, higher priority first (ties in log order). */
  readonly admitted: readonly Scored[];
  /** Price snapshot version the workers scored under. */
  readonly version: number;
  /** Outputs of the reading phase (dead letters, rejections), before any decision. */
  readonly messages: readonly OutputMessage[];
  readonly decisions: readonly RoutingDecision[];
  readonly processed: number;
  readonly pauseUntilMs: number | null;
  readonly stats: SliceStats;
}

export function emptyStats(): SliceStats {
  return { consumed: 0, routedByModel: new Map(), deferred: 0, allModelsFailed: 0, deadLetters: new Map(), batches: [], scoringMs: [] };
}
