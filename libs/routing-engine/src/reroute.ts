// Requests handed back by an executor after a model failed them permanently (request.v3
// excludedModels / failedAttempts, read from the deferred topic). Such a request is routed like
// any other, among the models it may still go to: its allow-list (null: every configured model)
// less the models it failed on. A model pinned by the submitter (allowedModels of one) that
// failed leaves nothing, so a pin is never silently moved to another model. When nothing is left,
// or router.maxModelAttempts models failed it, the request ends here with an error outcome
// `all_models_failed` written in the slice's transaction: the request has no answer, and the
// results hand its custom_id back in the errors file, once (results are first-write-wins per
// request id, and the executors wrote no outcome for the attempts they handed back).
import type { FailedAttemptV3, OutcomeV2, RequestV3 } from '@switchyard/contracts';
import type { EngineParts } from './parts.ts';
import type { OutputMessage } from './slice.ts';

export const ALL_MODELS_FAILED = 'all_models_failed';

const MAX_ERROR_CHARS = 2_000;

/** The request was handed back by an executor: some model failed it permanently. */
export function isRerouted(request: RequestV3): boolean {
  return (request.failedAttempts?.length ?? 0) > 0 || (request.excludedModels?.length ?? 0) > 0;
}

export type RerouteVerdict =
  | { readonly kind: 'route'; readonly request: RequestV3 }
  | { readonly kind: 'fail'; readonly why: string };

/**
 * Where a request may still go: unchanged when nothing failed it; otherwise its allow-list
 * narrowed to the configured models it has not failed on (so the ranking, the budgets and the
 * dollar gate all skip the excluded models), or `fail` when none is left or the attempts are
 * used up.
 */
export function rerouteVerdict(models: readonly string[], maxModelAttempts: number, request: RequestV3): RerouteVerdict {
  if (!isRerouted(request)) return { kind: 'route', request };
  const failed = request.failedAttempts ?? [];
  if (failed.length >= maxModelAttempts) return { kind: 'fail', why: `${failed.length} models failed it (router.maxModelAttempts ${maxModelAttempts})` };
  const excluded = new Set([...(request.excludedModels ?? []), ...failed.map((a) => a.model)]);
  const allowed = request.allowedModels === null ? models : request.allowedModels;
  const left = allowed.filter((m) => models.includes(m) && !excluded.has(m));
  if (left.length === 0) {
    const scope = request.allowedModels === null ? 'configured' : 'allowed';
    return { kind: 'fail', why: `no ${scope} model is left (excluded: ${[...excluded].join(', ')})` };
  }
  return { kind: 'route', request: { ...request, allowedModels: left } };
}

function describeAttempt(a: FailedAttemptV3): string {
  const status = a.statusCode === null ? '' : ` HTTP ${a.statusCode}`;
  const detail = a.detail === null ? '' : `: ${a.detail.slice(0, 200)}`;
  return `${a.model} (${a.reason}${status}${detail})`;
}

/** The error text of an all_models_failed outcome: why, then every attempt, oldest first. */
export function allModelsFailedError(request: RequestV3, why: string): string {
  const attempts = (request.failedAttempts ?? []).map(describeAttempt).join('; ');
  return `${ALL_MODELS_FAILED}: ${why}; attempts: ${attempts.length > 0 ? attempts : 'none recorded'}`.slice(0, MAX_ERROR_CHARS);
}

/**
 * The outcome that ends a rerouted request: no answer, no tokens, cost 0 (settling its dollar
 * reservation to nothing: failed calls are not billed), attributed to the last model that
 * failed it and that attempt's batch and status.
 */
export function allModelsFailedOutcome(p: Pick<EngineParts, 'config'>, request: RequestV3, why: string, nowMs: number): OutcomeV2 {
  const failed = request.failedAttempts ?? [];
  const last = failed.at(-1);
  const model = last?.model ?? request.excludedModels?.at(-1) ?? p.config.models[0]!.name;
  const status = last?.statusCode ?? null;
  return {
    requestId: request.requestId,
    jobId: request.jobId,
    tenant: request.tenant,
    model,
    batchId: last?.batchId ?? `reroute-${request.requestId}`,
    quality: null,
    success: false,
    promptTokens: 0,
    completionTokens: 0,
    latencyMs: 0,
    error: allModelsFailedError(request, why),
    costUsd: 0,
    completedAt: nowMs,
    customId: request.customId ?? null,
    statusCode: status !== null && status >= 100 && status <= 599 ? status : null,
    response: null,
  };
}

export function allModelsFailedMessage(p: Pick<EngineParts, 'config' | 'outcomeSerde'>, request: RequestV3, why: string, nowMs: number): OutputMessage {
  return { topic: p.config.topics.outcomes, key: request.requestId, value: p.outcomeSerde.encode(allModelsFailedOutcome(p, request, why, nowMs)) };
}
