// The dual price of ONE dollar budget shared by every model of a job (the PORT setting: one
// budget, one stream; Wu & Silwal, arXiv 2509.02718), re-solved as the job runs so the budget
// is spread over the whole job: it neither runs dry early nor ends mostly unspent.
//
// With one budget constraint the dual (1) of dual-prices.ts has a single variable gamma:
//
//   min_{gamma in [0, gammaMax]}  gamma b + sum_j max_m (alpha d^_mj - gamma g^_mj)   (+ 0 with drop)
//
// which is convex and piecewise linear; its subgradient is b - spend(gamma), where spend(gamma)
// is the estimated cost of routing each query to its argmax at gamma, non-increasing in gamma.
// The minimiser is the smallest gamma whose spend fits b (0 when even gamma = 0 fits: the
// budget is not binding), found by bisection; no LP solver is needed.
//
// Pacing: b is the remaining budget (limit minus what is committed: outstanding worst-case
// reservations plus settled true costs, i.e. what the dollar ledger holds) scaled to the window
// of recent estimates the price is solved on, b = remaining * |W| / remaining requests; the
// re-solving scheme of online packing (Agrawal, Wang & Ye, OR 2014). With a deadline and a
// known throughput, the remaining requests are those that can still run before the deadline,
// so a job that cannot finish in time spends its budget on the part that can.

export interface SharedDualPriceProblem {
  readonly nQueries: number;
  readonly nModels: number;
  /** d^, row-major (query x model). */
  readonly quality: ArrayLike<number>;
  /** g^ in USD, row-major (query x model); NaN or Infinity marks a model that cannot serve the query. */
  readonly cost: ArrayLike<number>;
  /** What these queries may spend together, in USD. */
  readonly budgetUsd: number;
  readonly alpha: number;
  readonly gammaMax: number;
  readonly allowDrop: boolean;
}

/** Estimated spend of routing every query to its argmax (alpha d^ - gamma g^). */
export function spendAt(p: SharedDualPriceProblem, gamma: number): number {
  let spend = 0;
  for (let j = 0; j < p.nQueries; j++) {
    let best = p.allowDrop ? 0 : Number.NEGATIVE_INFINITY;
    let cost = 0;
    for (let m = 0; m < p.nModels; m++) {
      const g = p.cost[j * p.nModels + m]!;
      if (!Number.isFinite(g)) continue;
      const s = p.alpha * p.quality[j * p.nModels + m]! - gamma * g;
      if (s > best) {
        best = s;
        cost = g;
      }
    }
    spend += cost;
  }
  return spend;
}

/** The minimiser of the one-budget dual: the smallest gamma in [0, gammaMax] whose spend fits the budget. */
export function solveSharedDualPrice(p: SharedDualPriceProblem, iterations = 60): number {
  if (p.nQueries === 0 || spendAt(p, 0) <= p.budgetUsd) return 0;
  if (spendAt(p, p.gammaMax) > p.budgetUsd) return p.gammaMax;
  let lo = 0;
  let hi = p.gammaMax;
  for (let i = 0; i < iterations; i++) {
    const mid = (lo + hi) / 2;
    if (spendAt(p, mid) <= p.budgetUsd) hi = mid;
    else lo = mid;
  }
  return hi;
}

export interface UsdPacerOptions {
  readonly budgetUsd: number;
  /**
   * Requests the job is expected to have (N); the remaining stream is max(1, N - seen). Null
   * while unknown (a job still being submitted): then only the deadline paces, and with neither
   * the price stays 0 (nothing says how far the budget has to reach).
   */
  readonly streamLength: number | null;
  readonly nModels: number;
  readonly alpha: number;
  /** Upper bound on gamma (quality per USD, after alpha). */
  readonly gammaMax: number;
  readonly windowSize: number;
  /** Re-solve every this many observed requests (after a doubling warm-up 1, 2, 4, ...). */
  readonly resolveEvery: number;
  readonly allowDrop: boolean;
  /** Epoch ms by which the job should be done; null for none. */
  readonly deadlineMs: number | null;
  /** Requests per second the job can run at (rate limits); with a deadline, caps the remaining stream. */
  readonly throughputPerSec: number | null;
}

/**
 * Paces one dollar budget over a job. The caller observes each request's estimates (USD costs)
 * before deciding it, tells the pacer what the ledger committed (reservations, settlements),
 * and scores with `gamma()` as every model's price.
 */
export class UsdPacer {
  #o: UsdPacerOptions;
  readonly #q: Float64Array;
  readonly #c: Float64Array;
  #count = 0;
  #next = 0;
  #seen = 0;
  #solveAt = 1;
  #gamma = 0;
  #committedUsd = 0;
  #decided: number | null = null;

  constructor(o: UsdPacerOptions) {
    if (!(o.budgetUsd > 0) || !(o.windowSize >= 1) || !(o.nModels >= 1) || !(o.gammaMax > 0)) {
      throw new RangeError('UsdPacer needs budgetUsd > 0, windowSize >= 1, nModels >= 1 and gammaMax > 0');
    }
    this.#o = o;
    this.#q = new Float64Array(o.windowSize * o.nModels);
    this.#c = new Float64Array(o.windowSize * o.nModels);
  }

  get gamma(): number {
    return this.#gamma;
  }

  get seen(): number {
    return this.#seen;
  }

  get remainingUsd(): number {
    return Math.max(0, this.#o.budgetUsd - this.#committedUsd);
  }

  /** What the dollar ledger holds for the job now (reservations + settled true costs). */
  setCommittedUsd(usd: number): void {
    this.#committedUsd = Math.max(0, usd);
  }

  /** What is learnt as the job runs: its size once submitted, its deadline, the throughput its rate limits allow. */
  update(o: Partial<Pick<UsdPacerOptions, 'streamLength' | 'deadlineMs' | 'throughputPerSec'>>): void {
    this.#o = { ...this.#o, ...o };
  }

  /**
   * Requests of the job already decided by anyone (several router instances share a job, each
   * observing only its part): the remaining stream counts from the larger of this and what this
   * pacer observed itself. Null: only its own observations count.
   */
  setDecided(n: number | null): void {
    this.#decided = n;
  }

  /**
   * Requests still to route, as pacing sees them at `nowMs`: what is left of the stream, or
   * what can still run before the deadline at the job's throughput when that is fewer (the
   * deadline sets the pace: the budget goes to the part of the job that can run). Null when
   * neither the stream length nor a deadline with a throughput is known.
   */
  remainingRequests(nowMs: number): number | null {
    const { streamLength, deadlineMs, throughputPerSec } = this.#o;
    const done = Math.max(this.#seen, this.#decided ?? 0);
    let left = streamLength === null ? Number.POSITIVE_INFINITY : Math.max(1, streamLength - done);
    if (deadlineMs !== null && throughputPerSec !== null && throughputPerSec > 0) {
      left = Math.min(left, Math.max(1, Math.floor(((deadlineMs - nowMs) / 1000) * throughputPerSec)));
    }
    return Number.isFinite(left) ? left : null;
  }

  /** Adds a request's estimates to the window and re-solves gamma when due; returns gamma. */
  observe(estimate: { readonly quality: ArrayLike<number>; readonly cost: ArrayLike<number> }, nowMs: number): number {
    const M = this.#o.nModels;
    for (let m = 0; m < M; m++) {
      this.#q[this.#next * M + m] = estimate.quality[m]!;
      this.#c[this.#next * M + m] = estimate.cost[m]!;
    }
    this.#next = (this.#next + 1) % this.#o.windowSize;
    this.#count = Math.min(this.#count + 1, this.#o.windowSize);
    this.#seen++;
    if (this.#seen >= this.#solveAt) {
      this.#resolve(nowMs);
      this.#solveAt = this.#seen + Math.min(this.#o.resolveEvery, this.#seen);
    }
    return this.#gamma;
  }

  /**
   * Re-solves gamma now on the requests already observed, counting none: for a caller whose
   * committed amount moved without new requests (outcomes settled while deferred requests
   * waited), so the price follows the ledger instead of staying where the last solve left it.
   */
  resolve(nowMs: number): number {
    if (this.#count > 0) this.#resolve(nowMs);
    return this.#gamma;
  }

  #resolve(nowMs: number): void {
    const n = this.#count;
    const left = this.remainingRequests(nowMs);
    if (left === null) {
      this.#gamma = 0;
      return;
    }
    const budgetUsd = this.remainingUsd * Math.min(1, n / left);
    this.#gamma = solveSharedDualPrice({
      nQueries: n,
      nModels: this.#o.nModels,
      quality: this.#q.subarray(0, n * this.#o.nModels),
      cost: this.#c.subarray(0, n * this.#o.nModels),
      budgetUsd,
      alpha: this.#o.alpha,
      gammaMax: this.#o.gammaMax,
      allowDrop: this.#o.allowDrop,
    });
  }
}
