// Retry policy for calls to an OpenAI-compatible server, as pure functions: which answers are
// worth another attempt, how long to wait (exponential backoff with full jitter, after
// "Exponential Backoff and Jitter", AWS Architecture Blog, 2015), and how to read Retry-After
// (RFC 9110 §10.2.3: delay-seconds or an HTTP-date).

export type StatusClass = 'success' | 'retriable' | 'permanent';

/**
 * 408 (request timeout), 409 (conflict: OpenAI uses it for transient state), 429 (rate limit)
 * and 5xx may succeed on a later attempt; any other 4xx will fail the same way again.
 */
export function classifyStatus(status: number): StatusClass {
  if (status >= 200 && status < 300) return 'success';
  if (status === 408 || status === 409 || status === 429 || status >= 500) return 'retriable';
  return 'permanent';
}

/** Milliseconds to wait according to a Retry-After value, or null when absent or unreadable. */
export function parseRetryAfterMs(value: string | null | undefined, nowMs: number): number | null {
  if (value === null || value === undefined) return null;
  const v = value.trim();
  if (v.length === 0) return null;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  // An HTTP-date; Date.parse reads IMF-fixdate and the obsolete RFC 850 / asctime forms.
  if (!/[a-z]/i.test(v)) return null;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - nowMs);
}

export interface BackoffSettings {
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/** Full jitter: uniform in [0, min(maxDelayMs, baseDelayMs * 2^(retry - 1))). `retry` counts from 1. */
export function backoffDelayMs(retry: number, s: BackoffSettings, random: () => number): number {
  const cap = Math.min(s.maxDelayMs, s.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * cap);
}

/**
 * Wait before retry number `retry`: the server's Retry-After when it gave one (it knows when
 * capacity returns; waiting less only earns another 429), else the jittered backoff.
 */
export function retryDelayMs(retry: number, retryAfterMs: number | null, s: BackoffSettings, random: () => number): number {
  return retryAfterMs !== null ? retryAfterMs : backoffDelayMs(retry, s, random);
}
