/** Latency and throughput figures of the end-to-end benchmark, over typed arrays (no per-request objects). */

/** Nearest-rank percentile (p in [0, 100]) of an ascending array; NaN when empty. */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** Finite values of `values`, sorted ascending, in a new array. */
export function sortedFinite(values: ArrayLike<number>): Float64Array {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]!)) n += 1;
  const out = new Float64Array(n);
  let j = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) out[j++] = v;
  }
  return out.sort();
}

export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
}

/** Per-request latency visibleAt[i] - submittedAt[i], over the requests that have both. */
export function latencySummary(submittedAtMs: Float64Array, visibleAtMs: Float64Array): LatencySummary {
  const n = Math.min(submittedAtMs.length, visibleAtMs.length);
  const lat = new Float64Array(n);
  for (let i = 0; i < n; i++) lat[i] = visibleAtMs[i]! - submittedAtMs[i]!;
  const sorted = sortedFinite(lat);
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    p50Ms: percentileSorted(sorted, 50),
    p90Ms: percentileSorted(sorted, 90),
    p99Ms: percentileSorted(sorted, 99),
    maxMs: sorted.length > 0 ? sorted[sorted.length - 1]! : Number.NaN,
    meanMs: sorted.length > 0 ? sum / sorted.length : Number.NaN,
  };
}

export interface ThroughputSummary {
  readonly requests: number;
  /** First submit (earliest request record timestamp) to the last request becoming visible. */
  readonly elapsedMs: number;
  readonly requestsPerSec: number;
  /** First submit to the first request becoming visible: start-up of the pipeline (first transactions, group joins). */
  readonly firstVisibleAfterMs: number;
  /** Between the times the `from` and `to` fractions of requests had become visible. */
  readonly steady: { readonly from: number; readonly to: number; readonly requests: number; readonly elapsedMs: number; readonly requestsPerSec: number };
}

/**
 * Overall throughput from the first submit to the last visible request, and the steady middle
 * part: the requests that became visible between the `from` and `to` quantiles of visibility
 * time, divided by the time between those two quantiles (start-up and drain excluded).
 */
export function throughputSummary(firstSubmitMs: number, sortedVisibleMs: Float64Array, from = 0.1, to = 0.9): ThroughputSummary {
  const n = sortedVisibleMs.length;
  const last = n > 0 ? sortedVisibleMs[n - 1]! : Number.NaN;
  const elapsedMs = last - firstSubmitMs;
  const lo = Math.floor(from * (n - 1));
  const hi = Math.floor(to * (n - 1));
  const steadyMs = n > 1 ? sortedVisibleMs[hi]! - sortedVisibleMs[lo]! : Number.NaN;
  const steadyRequests = hi - lo;
  return {
    requests: n,
    elapsedMs,
    requestsPerSec: n / (elapsedMs / 1000),
    firstVisibleAfterMs: n > 0 ? sortedVisibleMs[0]! - firstSubmitMs : Number.NaN,
    steady: { from, to, requests: steadyRequests, elapsedMs: steadyMs, requestsPerSec: steadyMs > 0 ? steadyRequests / (steadyMs / 1000) : Number.NaN },
  };
}
