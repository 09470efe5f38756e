// Hand-written mirror of schemas/*.avsc (the latest version of each record; V1 shapes kept for
// code that only needs the fields v1 had). A unit test round-trips fixtures through avsc and
// compares field lists, so a schema change that is not reflected here fails the build.
// Timestamps are epoch milliseconds (Avro timestamp-millis decoded as plain numbers).

export type EpochMillis = number;

export interface RequestV1 {
  readonly requestId: string;
  readonly jobId: string;
  readonly tenant: string;
  readonly prompt: string | null;
  readonly embedding: readonly number[] | null;
  readonly promptTokens: number | null;
  readonly maxOutputTokens: number;
  readonly priority: number;
  readonly deadline: EpochMillis | null;
  readonly allowedModels: readonly string[] | null;
  readonly metadata: Readonly<Record<string, string>>;
  readonly submittedAt: EpochMillis;
}

export interface RoutedRequestV1 {
  readonly requestId: string;
  readonly jobId: string;
  readonly tenant: string;
  readonly prompt: string | null;
  readonly embedding: readonly number[] | null;
  readonly promptTokens: number;
  readonly maxOutputTokens: number;
  readonly estimatedTokens: number;
  readonly predictedQuality: number;
  readonly predictedCostUsd: number;
  readonly score: number;
  readonly fallbackRank: number;
  readonly dualPrice: number;
  readonly priority: number;
  readonly deadline: EpochMillis | null;
  readonly metadata: Readonly<Record<string, string>>;
}

export interface RoutedBatchV1 {
  readonly batchId: string;
  readonly model: string;
  readonly createdAt: EpochMillis;
  readonly routerInstance: string;
  readonly policy: string;
  readonly totalEstimatedTokens: number;
  readonly requests: readonly RoutedRequestV1[];
}

export interface OutcomeV1 {
  readonly requestId: string;
  readonly jobId: string;
  readonly tenant: string | null;
  readonly model: string;
  readonly batchId: string;
  readonly quality: number | null;
  readonly success: boolean | null;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly latencyMs: number;
  readonly error: string | null;
  readonly costUsd: number | null;
  readonly completedAt: EpochMillis;
}

export interface HeaderV1 {
  readonly key: string;
  readonly value: Buffer | null;
}

export interface DeadLetterV1 {
  readonly reason: string;
  readonly detail: string;
  readonly sourceTopic: string;
  readonly sourcePartition: number;
  readonly sourceOffset: number;
  readonly originalKey: Buffer | null;
  readonly originalValue: Buffer | null;
  readonly originalHeaders: readonly HeaderV1[];
  readonly failedAt: EpochMillis;
  readonly service: string;
}

export interface DeferredV1 {
  readonly request: RequestV1;
  readonly deferUntil: EpochMillis;
  readonly reason: string;
  readonly detail: string | null;
  readonly attempts: number;
  readonly deferredAt: EpochMillis;
}

// Version 2: batch-file requests carry the submitter's custom_id and the original provider body,
// and outcomes carry the answer back. The new fields are optional for writers (Avro default null);
// a decoded record always has them (null when the writer did not set them or wrote v1).

export interface RequestFieldsV2 {
  /** Submitter's custom_id from a batch file; null for native requests. */
  readonly customId?: string | null;
  /** Original provider request body as JSON text; null for native requests. */
  readonly body?: string | null;
}

export interface RequestV2 extends RequestV1, RequestFieldsV2 {}

export interface RoutedRequestV2 extends RoutedRequestV1, RequestFieldsV2 {}

export interface RoutedBatchV2 extends Omit<RoutedBatchV1, 'requests'> {
  readonly requests: readonly RoutedRequestV2[];
}

export interface OutcomeV2 extends OutcomeV1 {
  readonly customId?: string | null;
  /** HTTP status of the final model call; null when no response arrived. */
  readonly statusCode?: number | null;
  /** Provider response body as JSON text; null when no body arrived. */
  readonly response?: string | null;
}

export interface DeferredV2 extends Omit<DeferredV1, 'request'> {
  readonly request: RequestV2;
}

// Version 3: a request that failed permanently on a model goes back to the router with that model
// excluded. Record names stay those of v2 (v2 readers still resolve v3 records); the new fields
// default to empty, so writers need not set them and a decoded record always has them.

/** One model that failed a request permanently (schemas/request.v3.avsc, FailedAttempt). */
export interface FailedAttemptV3 {
  readonly model: string;
  /** The executor's failure reason: model_failed_permanently, retries_exhausted, deadline_exceeded. */
  readonly reason: string;
  /** HTTP status of the last call; null when no response arrived. */
  readonly statusCode: number | null;
  readonly detail: string | null;
  readonly batchId: string | null;
  readonly failedAt: EpochMillis;
}

export interface RerouteFieldsV3 {
  /** Models the request must not be routed to again (each failed it permanently). */
  readonly excludedModels?: readonly string[];
  /** The permanent failures so far, oldest first. */
  readonly failedAttempts?: readonly FailedAttemptV3[];
}

export interface RequestV3 extends RequestV2, RerouteFieldsV3 {}

export interface RoutedRequestV3 extends RoutedRequestV2, RerouteFieldsV3 {
  /** The request's allow-list (null: any model), so a reroute stays inside it. */
  readonly allowedModels?: readonly string[] | null;
  /** The request's submittedAt; null in batches written before v3 (not handed back on failure). */
  readonly submittedAt?: EpochMillis | null;
}

export interface RoutedBatchV3 extends Omit<RoutedBatchV1, 'requests'> {
  readonly requests: readonly RoutedRequestV3[];
}

export interface DeferredV3 extends Omit<DeferredV1, 'request'> {
  readonly request: RequestV3;
}
