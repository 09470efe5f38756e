// Fault injection, decided per request and attempt from a hash of the request, so a run is
// reproducible and a request that fails its first attempts succeeds on a later one (what a
// client's retries must cope with), while `malformed` requests fail on every attempt (what a
// client must report as an error).
import { createHash } from 'node:crypto';

export interface AttemptFault {
  /** Share of requests (0..1) that get this fault. */
  readonly share: number;
  /** How many of their first attempts fail this way (later attempts go through). */
  readonly attempts: number;
}

export interface FaultOptions {
  /** 429 with Retry-After (delay-seconds, or an HTTP-date when `httpDate`). */
  readonly rateLimited?: AttemptFault & { readonly retryAfterSeconds: number; readonly httpDate?: boolean };
  /** 5xx (default 500) without Retry-After. */
  readonly serverErrors?: AttemptFault & { readonly status?: number };
  /** No answer at all: the connection stays open until the client gives up. */
  readonly hangs?: AttemptFault;
  /** 200 whose body is not JSON, on every attempt. */
  readonly malformed?: { readonly share: number };
  /**
   * Models failing permanently: a 4xx (default 404, "model not found") on every attempt, for
   * `share` of their requests (default 1: all). What a client must not retry, and a router
   * should move to another model.
   */
  readonly permanent?: ReadonlyArray<{ readonly model: string; readonly share?: number; readonly status?: number }>;
  /** Models answering 503 from `fromMs` to `fromMs + forMs` after the server started. */
  readonly down?: ReadonlyArray<{ readonly model: string; readonly fromMs: number; readonly forMs: number }>;
  /** Delay before every answer. */
  readonly latencyMs?: number;
  /** Faults of the Batch API (a line's draw is keyed by its custom_id and body). */
  readonly batch?: BatchFaults;
}

export interface BatchFaults {
  /** Share of lines answered with an error status (default 500), written to the error file. */
  readonly lineErrors?: { readonly share: number; readonly status?: number };
  /** Share of lines left out of both the output and the error file. */
  readonly missing?: { readonly share: number };
  /** The batch expires after this many lines: the rest end as `batch_expired`. */
  readonly expireAfterLines?: number;
  /** Time spent validating before the first line (default 0). */
  readonly validatingMs?: number;
  /** Time each line takes (default 0), so a batch stays in progress for a while. */
  readonly lineMs?: number;
}

export type Fault =
  | { readonly kind: 'down' }
  | { readonly kind: 'hang' }
  | { readonly kind: 'rate_limited'; readonly retryAfter: string }
  | { readonly kind: 'server_error'; readonly status: number }
  | { readonly kind: 'permanent'; readonly status: number }
  | { readonly kind: 'malformed' };

/** Uniform in [0, 1) from the request key and the fault kind. */
export function draw(key: string, kind: string): number {
  return createHash('sha256').update(kind).update('\u0000').update(key).digest().readUInt32BE(0) / 2 ** 32;
}

/** The permanent fault of `model` for the request `key`, the same on every attempt; null when none. */
export function permanentFault(f: FaultOptions, model: string, key: string): Extract<Fault, { kind: 'permanent' }> | null {
  for (const p of f.permanent ?? []) {
    if (p.model === model && draw(key, 'permanent') < (p.share ?? 1)) return { kind: 'permanent', status: p.status ?? 404 };
  }
  return null;
}

/**
 * The fault for attempt `attempt` (1-based) of the request `key` to `model`, `elapsedMs` after
 * the server started, at wall time `nowMs` (for HTTP-date Retry-After); null to answer normally.
 */
export function decideFault(f: FaultOptions, model: string, key: string, attempt: number, elapsedMs: number, nowMs: number): Fault | null {
  if (f.down?.some((d) => d.model === model && elapsedMs >= d.fromMs && elapsedMs < d.fromMs + d.forMs)) return { kind: 'down' };
  const permanent = permanentFault(f, model, key);
  if (permanent !== null) return permanent;
  const hits = (a: AttemptFault | undefined, kind: string): boolean => a !== undefined && attempt <= a.attempts && draw(key, kind) < a.share;
  if (hits(f.hangs, 'hang')) return { kind: 'hang' };
  if (f.rateLimited !== undefined && hits(f.rateLimited, 'rate_limited')) {
    const s = f.rateLimited.retryAfterSeconds;
    const retryAfter = f.rateLimited.httpDate === true ? new Date(Math.ceil(nowMs / 1000) * 1000 + s * 1000).toUTCString() : String(s);
    return { kind: 'rate_limited', retryAfter };
  }
  if (f.serverErrors !== undefined && hits(f.serverErrors, 'server_error')) return { kind: 'server_error', status: f.serverErrors.status ?? 500 };
  if (f.malformed !== undefined && draw(key, 'malformed') < f.malformed.share) return { kind: 'malformed' };
  return null;
}
