// What one finished call means for the outcome: usage, cost, status and body on success; a
// reason on failure. Pure, so every mapping is unit-tested without a server.
import { costUsd } from '@switchyard/config';
import type { ModelPrice } from '@switchyard/config';
import type { HandBack } from '@switchyard/executor-kit';

/** Closed set of reasons an executed request ends without an answer; the outcome's error starts with one. */
export type FailureReason =
  | 'invalid_body' // the request's provider body cannot be sent
  | 'retries_exhausted' // retriable failures until maxAttempts
  | 'deadline_exceeded' // the request's time (retry.maxTotalMs or the batch's share of the transaction) ran out
  | 'malformed_response' // a 2xx whose body is not a chat completion
  | 'model_failed_permanently' // a permanent 4xx from this model (handed back to the router: handBackFor)
  | 'provider_batch_unanswered'; // the provider batch did not answer it and batchApi.unanswered is "error"

export interface CallOutcome {
  readonly statusCode: number | null;
  readonly response: string | null;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly costUsd: number | null;
  readonly success: boolean;
  readonly error: string | null;
  /** Why the call failed (the error's prefix, as data); null on success. */
  readonly failureReason: FailureReason | null;
}

export function failure(reason: FailureReason, detail: string, statusCode: number | null = null, response: string | null = null): CallOutcome {
  return { statusCode, response, promptTokens: 0, completionTokens: 0, costUsd: null, success: false, error: `${reason}: ${detail}`.slice(0, 2_000), failureReason: reason };
}

/**
 * Whether a failed call means this model failed the request permanently, so the request goes
 * back to the router for the next-ranked model (the result's handBack) instead of ending as an
 * error:
 * - model_failed_permanently: a 4xx other than 408/409/429 (400, 401, 403, 404 model not
 *   found, 422...): the same model answers the same way again.
 * - retries_exhausted: 429, 5xx, timeouts or connection failures until retry.maxAttempts.
 * - deadline_exceeded after at least one attempt: the model kept failing until the request's
 *   retry time (retry.maxTotalMs, or the batch's share of the transaction) ran out.
 * So a model down for longer than the retry budget has its requests moved elsewhere. Not
 * handed back: a request whose body cannot be sent (invalid_body: any model would refuse it),
 * a 2xx that is not a chat completion (malformed_response: the model answered, and another call
 * may be billed), a request that never reached the model (deadline_exceeded with no attempt: the
 * executor's own rate limit), and provider-batch lines left unanswered by configuration.
 */
export function handBackFor(o: CallOutcome, attempts: number): HandBack | null {
  if (o.success || o.failureReason === null) return null;
  const handBack =
    o.failureReason === 'model_failed_permanently' || o.failureReason === 'retries_exhausted' || (o.failureReason === 'deadline_exceeded' && attempts >= 1);
  if (!handBack) return null;
  const error = o.error ?? o.failureReason;
  const detail = error.startsWith(`${o.failureReason}: `) ? error.slice(o.failureReason.length + 2) : error;
  return { reason: o.failureReason, statusCode: o.statusCode, detail };
}

const nonNegInt = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : null);

/** Body text as JSON text fit for the outcome (and a jsonb column), or null when it is not JSON. */
export function jsonTextOrNull(text: string): string | null {
  try {
    // Re-serialised: Postgres jsonb refuses \u0000, which JSON allows.
    return JSON.stringify(JSON.parse(text, (_k, v: unknown) => (typeof v === 'string' ? v.replaceAll('\u0000', '') : v)));
  } catch {
    return null;
  }
}

/** A 2xx answer: a chat completion with usage, else malformed_response. */
export function mapSuccess(status: number, text: string, price: ModelPrice): CallOutcome {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return failure('malformed_response', `HTTP ${status} body is not JSON (${err instanceof Error ? err.message : String(err)}): ${JSON.stringify(text.slice(0, 200))}`, status, null);
  }
  const body = parsed as { choices?: unknown; usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } } | null;
  const response = jsonTextOrNull(text);
  if (typeof body !== 'object' || body === null || !Array.isArray(body.choices) || body.choices.length === 0) {
    return failure('malformed_response', `HTTP ${status} body has no choices`, status, response);
  }
  const promptTokens = nonNegInt(body.usage?.prompt_tokens);
  const completionTokens = nonNegInt(body.usage?.completion_tokens);
  if (promptTokens === null || completionTokens === null) {
    return failure('malformed_response', `HTTP ${status} body has no usage.prompt_tokens / usage.completion_tokens`, status, response);
  }
  const usage = { promptTokens, completionTokens };
  return { statusCode: status, response, ...usage, costUsd: costUsd(price, usage), success: true, error: null, failureReason: null };
}

/** The message of an OpenAI-style error body, for the outcome's reason. */
export function errorMessage(text: string): string {
  try {
    const e = (JSON.parse(text) as { error?: { message?: unknown; type?: unknown } | string }).error;
    if (typeof e === 'string') return e;
    if (typeof e?.message === 'string') return e.message;
  } catch {
    // not JSON: the start of the text
  }
  return text.slice(0, 200);
}
