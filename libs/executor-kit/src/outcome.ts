// Pure helpers that turn what an executor observed into Outcome events (schemas/outcome.v2.avsc).
// No I/O here, so a team can unit-test its executor's reporting without Kafka.
import { outcomeShape } from '@switchyard/contracts';
import type { OutcomeV2, RoutedBatchV2, RoutedRequestV2 } from '@switchyard/contracts';

/**
 * Kafka header carrying the request's task or cluster (UTF-8). The Outcome schema has no
 * metadata field, so the segment travels beside the record; the outcome recorder keeps
 * statistics per model and per (model, segment). Optional: outcomes without it count per model.
 */
export const SEGMENT_HEADER = 'switchyard-segment';
export const MAX_SEGMENT_CHARS = 128;
/** Routed-request metadata key whose value becomes the segment header, unless configured otherwise. */
export const DEFAULT_SEGMENT_METADATA_KEY = 'task';

/** What executing one request produced. Every request of a batch needs one, failures included (set `error`). */
export interface ExecutionResult {
  readonly requestId: string;
  /** Observed quality in [0, 1] (a judge's score, a test's pass rate); null or absent when unknown. */
  readonly quality?: number | null;
  readonly success?: boolean | null;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly latencyMs: number;
  readonly error?: string | null;
  /** Actual cost in USD if the executor knows it; otherwise the recorder derives it from configured prices. */
  readonly costUsd?: number | null;
  /** Epoch ms the execution finished; default: when the outcome was built. */
  readonly completedAt?: number;
  /** HTTP status of the final model call; null or absent when no response arrived. */
  readonly statusCode?: number | null;
  /** Provider response body as JSON text; null or absent when no body arrived. */
  readonly response?: string | null;
}

export interface PlannedOutcome {
  readonly outcome: OutcomeV2;
  /** Value of the segment header, or null to send none. */
  readonly segment: string | null;
}

export type OutcomeCheck =
  | { readonly ok: true; readonly value: OutcomeV2 }
  | { readonly ok: false; readonly detail: string };

/** Checks an outcome against the contract's rules (ids, ranges), the way the recorder will. */
export function checkOutcome(outcome: OutcomeV2): OutcomeCheck {
  const parsed = outcomeShape.safeParse(outcome);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  const path = issue === undefined || issue.path.length === 0 ? '<root>' : issue.path.join('.');
  return { ok: false, detail: `${path}: ${issue?.message ?? 'invalid'}` };
}

/** The segment of a routed request: its metadata value under `metadataKey`, when usable. */
export function segmentOf(request: Pick<RoutedRequestV2, 'metadata'>, metadataKey: string = DEFAULT_SEGMENT_METADATA_KEY): string | null {
  const value = request.metadata[metadataKey];
  if (value === undefined || value.length === 0 || value.length > MAX_SEGMENT_CHARS || value === '*') return null;
  return value;
}

/** The Outcome for one request of a batch: ids and routing context from the batch, observations from the result. */
export function buildOutcome(batch: Pick<RoutedBatchV2, 'batchId' | 'model'>, request: Pick<RoutedRequestV2, 'requestId' | 'jobId' | 'tenant' | 'customId'>, result: ExecutionResult, nowMs: number): OutcomeV2 {
  return {
    requestId: request.requestId,
    jobId: request.jobId,
    tenant: request.tenant,
    model: batch.model,
    batchId: batch.batchId,
    quality: result.quality ?? null,
    success: result.success ?? null,
    promptTokens: result.promptTokens,
    completionTokens: result.completionTokens,
    latencyMs: Math.round(result.latencyMs),
    error: result.error ?? null,
    costUsd: result.costUsd ?? null,
    completedAt: result.completedAt ?? nowMs,
    customId: request.customId ?? null,
    statusCode: result.statusCode ?? null,
    response: result.response ?? null,
  };
}

export type BatchPlan =
  | { readonly ok: true; readonly outcomes: readonly PlannedOutcome[] }
  | { readonly ok: false; readonly problem: 'missing_result' | 'invalid_outcome'; readonly detail: string };

/**
 * One outcome per request of the batch, in batch order. Results for requests that are not in
 * the batch are ignored; a request without a result, or a result that makes an invalid
 * outcome, makes the whole plan fail (committing the batch would lose that request's outcome).
 */
export function planBatchOutcomes(batch: RoutedBatchV2, results: readonly ExecutionResult[], options: { readonly nowMs: number; readonly segmentMetadataKey?: string }): BatchPlan {
  const byId = new Map(results.map((r) => [r.requestId, r]));
  const outcomes: PlannedOutcome[] = [];
  const missing: string[] = [];
  for (const request of batch.requests) {
    const result = byId.get(request.requestId);
    if (result === undefined) {
      missing.push(request.requestId);
      continue;
    }
    const checked = checkOutcome(buildOutcome(batch, request, result, options.nowMs));
    if (!checked.ok) return { ok: false, problem: 'invalid_outcome', detail: `request ${request.requestId}: ${checked.detail}` };
    outcomes.push({ outcome: checked.value, segment: segmentOf(request, options.segmentMetadataKey) });
  }
  if (missing.length > 0) {
    return { ok: false, problem: 'missing_result', detail: `batch ${batch.batchId}: no result for ${missing.length} request(s), e.g. ${missing.slice(0, 3).join(', ')}` };
  }
  return { ok: true, outcomes };
}
