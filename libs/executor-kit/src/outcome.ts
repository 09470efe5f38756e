// Pure helpers that turn what an executor observed into Outcome events (schemas/outcome.v2.avsc).
// No I/O here, so a team can unit-test its executor's reporting without Kafka.
import { outcomeShape } from '@switchyard/contracts';
import type { DeferredV3, OutcomeV2, RoutedBatchV3, RoutedRequestV3 } from '@switchyard/contracts';

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
  /**
   * Set when the model failed the request permanently (a non-retryable answer, or retries used
   * up): the request is handed back to the router with this model excluded, in the transaction
   * that consumes the batch, and gets no outcome from this model. Where it cannot be handed back
   * (the executor has no deferred topic, or the batch was routed before request.v3) the result
   * becomes an error outcome as any failure does, so `error` must be set too.
   */
  readonly handBack?: HandBack | null;
}

/** Why a model failed a request permanently (request.v3 FailedAttempt, without model and batch). */
export interface HandBack {
  /** The executor's failure reason, e.g. model_failed_permanently, retries_exhausted. */
  readonly reason: string;
  /** HTTP status of the last call; null when no response arrived. */
  readonly statusCode: number | null;
  readonly detail: string;
}

const MAX_HAND_BACK_DETAIL_CHARS = 2_000;

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
export function segmentOf(request: Pick<RoutedRequestV3, 'metadata'>, metadataKey: string = DEFAULT_SEGMENT_METADATA_KEY): string | null {
  const value = request.metadata[metadataKey];
  if (value === undefined || value.length === 0 || value.length > MAX_SEGMENT_CHARS || value === '*') return null;
  return value;
}

/** The Outcome for one request of a batch: ids and routing context from the batch, observations from the result. */
export function buildOutcome(batch: Pick<RoutedBatchV3, 'batchId' | 'model'>, request: Pick<RoutedRequestV3, 'requestId' | 'jobId' | 'tenant' | 'customId'>, result: ExecutionResult, nowMs: number): OutcomeV2 {
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

/**
 * The request as the router reads it again (a Deferred of reason model_failed, due now): what
 * it was submitted with, its allow-list, and the failed model added to excludedModels and
 * failedAttempts. Null when the routed item predates request.v3 (no submittedAt): such a batch
 * does not carry what a reroute needs.
 */
export function handBackOf(batch: Pick<RoutedBatchV3, 'batchId' | 'model'>, item: RoutedRequestV3, h: HandBack, nowMs: number): DeferredV3 | null {
  if (item.submittedAt === null || item.submittedAt === undefined) return null;
  const detail = h.detail.slice(0, MAX_HAND_BACK_DETAIL_CHARS);
  const excluded = item.excludedModels ?? [];
  return {
    request: {
      requestId: item.requestId,
      jobId: item.jobId,
      tenant: item.tenant,
      prompt: item.prompt,
      embedding: item.embedding,
      promptTokens: item.promptTokens,
      maxOutputTokens: item.maxOutputTokens,
      priority: item.priority,
      deadline: item.deadline,
      allowedModels: item.allowedModels ?? null,
      metadata: item.metadata,
      submittedAt: item.submittedAt,
      customId: item.customId ?? null,
      body: item.body ?? null,
      excludedModels: excluded.includes(batch.model) ? excluded : [...excluded, batch.model],
      failedAttempts: [...(item.failedAttempts ?? []), { model: batch.model, reason: h.reason, statusCode: h.statusCode, detail, batchId: batch.batchId, failedAt: nowMs }],
    },
    deferUntil: nowMs,
    reason: 'model_failed',
    detail: `${batch.model}: ${h.reason}: ${detail}`.slice(0, MAX_HAND_BACK_DETAIL_CHARS),
    // A hand-back is not a budget deferral; the router counts deferrals from here on.
    attempts: 1,
    deferredAt: nowMs,
  };
}

export type BatchPlan =
  | { readonly ok: true; readonly outcomes: readonly PlannedOutcome[]; readonly handBacks: readonly DeferredV3[] }
  | { readonly ok: false; readonly problem: 'missing_result' | 'invalid_outcome'; readonly detail: string };

/**
 * One outcome per request of the batch, in batch order, except the requests handed back to the
 * router (`handBack` on, a result with handBack set, a v3 item): those are in `handBacks`.
 * Results for requests that are not in the batch are ignored; a request without a result, or a result that makes an invalid
 * outcome, makes the whole plan fail (committing the batch would lose that request's outcome).
 */
export function planBatchOutcomes(
  batch: RoutedBatchV3,
  results: readonly ExecutionResult[],
  options: { readonly nowMs: number; readonly segmentMetadataKey?: string; readonly handBack?: boolean },
): BatchPlan {
  const byId = new Map(results.map((r) => [r.requestId, r]));
  const outcomes: PlannedOutcome[] = [];
  const handBacks: DeferredV3[] = [];
  const missing: string[] = [];
  for (const request of batch.requests) {
    const result = byId.get(request.requestId);
    if (result === undefined) {
      missing.push(request.requestId);
      continue;
    }
    const back = options.handBack === true && result.handBack != null ? handBackOf(batch, request, result.handBack, options.nowMs) : null;
    if (back !== null) {
      handBacks.push(back);
      continue;
    }
    const checked = checkOutcome(buildOutcome(batch, request, result, options.nowMs));
    if (!checked.ok) return { ok: false, problem: 'invalid_outcome', detail: `request ${request.requestId}: ${checked.detail}` };
    outcomes.push({ outcome: checked.value, segment: segmentOf(request, options.segmentMetadataKey) });
  }
  if (missing.length > 0) {
    return { ok: false, problem: 'missing_result', detail: `batch ${batch.batchId}: no result for ${missing.length} request(s), e.g. ${missing.slice(0, 3).join(', ')}` };
  }
  return { ok: true, outcomes, handBacks };
}
