// Hand-written mirror of schemas/*.v1.avsc. A unit test round-trips fixtures through avsc and
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
