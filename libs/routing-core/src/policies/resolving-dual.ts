import { selectWithFallback, type Decision } from '../decision.ts';
import type { QueryEstimate } from '../estimates.ts';
import { solveDualPrices } from '../lp/dual-prices.ts';
import type { LpSolver } from '../lp/solver.ts';
import { BasePolicy } from './base.ts';
import type { LostOutcome, ServedOutcome } from './types.ts';

export interface ResolvingDualOptions {
  readonly budgets: ArrayLike<number>;
  /** Expected stream length N (the job's size); the remaining stream is max(1, N - seen). */
  readonly streamLength: number;
  readonly alpha: number;
  /** Recent estimates the dual prices are re-solved on. */
  readonly windowSize: number;
  /** Re-solve every this many queries once the doubling warm-up (1, 2, 4, ...) reaches it. */
  readonly resolveEvery: number;
  /**
   * At most one re-solve per this many milliseconds of `clock` (0: no limit). At high request
   * rates a re-solve every `resolveEvery` queries would be dozens of LPs a second on prices that
   * barely move; a due re-solve waits for the first query after the interval.
   */
  readonly minResolveIntervalMs: number;
  /** Upper bound on every price (quality per unit cost, after alpha). */
  readonly gammaMax: number;
  /** A model is eligible only if committed_m + (1 + safetyMargin) g^_m <= B_m. */
  readonly safetyMargin: number;
  /** Dual-mirror-descent step between re-solves (0 disables it). */
  readonly paceStep: number;
  /** When every eligible model scores below 0 under the prices, drop (true) or still serve the best (false). */
  readonly dropNegative: boolean;
}

/**
 * "resolving-dual": PORT's dual-price routing, made adaptive and budget-safe.
 *
 * PORT (Wu & Silwal, arXiv 2509.02718) learns dual prices gamma once, on the first 2.5% of the
 * stream, and then routes to argmax_m (alpha d^ - gamma_m g^) forever, dropping queries once
 * that model's budget is spent. This policy keeps the same score (so the batch kernel computes
 * it) and changes what surrounds it:
 *  1. Re-solving: the prices are re-solved, exactly (HiGHS), on a window of the most recent
 *     estimates against the REMAINING budget of each model scaled to the remaining stream,
 *     b_m = (B_m - committed_m) * |window| / (N - seen). This is the re-solving / dual-update
 *     scheme of online packing LPs (Agrawal & Devanur, "Fast algorithms for online stochastic
 *     convex programming", SODA 2015; Agrawal, Wang & Ye, "A dynamic near-optimal algorithm
 *     for online linear programming", OR 2014), with doubling epochs (1, 2, 4, ... queries)
 *     at the start so early prices come from early data rather than from nothing.
 *  2. Pacing: between re-solves each price moves by a multiplicative dual-mirror-descent step,
 *     gamma_m <- gamma_m * exp(eta * (spend_m,t - rho_m) / rho_m), rho_m = remaining budget per
 *     remaining query (Balseiro, Lu & Mirrokni, "The best of many worlds: dual mirror descent
 *     for online allocation problems", OR 2023), so a model spending ahead of pace gets dearer
 *     before the next solve.
 *  3. Fallback instead of drop: the query goes to the best-scoring model whose remaining
 *     budget still covers its estimated cost; it is dropped only when none does.
 *  4. Never over budget: spend is the observed true cost of served queries (the only truths
 *     the policy ever sees) plus a reservation of (1 + margin) g^ for each query in flight; a
 *     model is eligible only while committed spend plus that reservation fits its budget.
 */
export class ResolvingDualPolicy extends BasePolicy {
  readonly name = 'resolving-dual' as const;
  readonly #o: ResolvingDualOptions;
  readonly #solver: LpSolver;
  readonly #budgets: Float64Array;
  readonly #observed: Float64Array;
  readonly #reserved: Float64Array;
  readonly #inFlight: Int32Array;
  readonly #winQuality: Float64Array;
  readonly #winCost: Float64Array;
  #winCount = 0;
  #winNext = 0;
  #seen = 0;
  #nextSolveAt = 1;
  #lastSolveMs = Number.NEGATIVE_INFINITY;
  #solves = 0;
  readonly #clock: () => number;

  constructor(opts: ResolvingDualOptions, solver: LpSolver, clock: () => number = Date.now) {
    super(opts.budgets.length, opts.alpha);
    this.#o = opts;
    this.#solver = solver;
    this.#clock = clock;
    this.#budgets = Float64Array.from(opts.budgets);
    this.#observed = new Float64Array(this.nModels);
    this.#reserved = new Float64Array(this.nModels);
    this.#inFlight = new Int32Array(this.nModels);
    this.#winQuality = new Float64Array(opts.windowSize * this.nModels);
    this.#winCost = new Float64Array(opts.windowSize * this.nModels);
  }

  /** Observed true spend of served queries, per model. */
  get observedSpend(): Float64Array {
    return this.#observed;
  }

  /** Observed spend plus reservations of queries in flight, per model. */
  committed(model: number): number {
    return this.#observed[model]! + this.#reserved[model]!;
  }

  get solves(): number {
    return this.#solves;
  }

  protected override prepare(estimate: QueryEstimate): void {
    const M = this.nModels;
    const at = this.#winNext * M;
    for (let m = 0; m < M; m++) {
      this.#winQuality[at + m] = estimate.quality[m]!;
      this.#winCost[at + m] = estimate.cost[m]!;
    }
    this.#winNext = (this.#winNext + 1) % this.#o.windowSize;
    this.#winCount = Math.min(this.#winCount + 1, this.#o.windowSize);
    this.#seen++;
    if (this.#seen >= this.#nextSolveAt && this.#claimResolveSlot()) {
      this.#resolve();
      this.#nextSolveAt = this.#seen < this.#o.resolveEvery ? Math.min(this.#seen * 2, this.#o.resolveEvery) : this.#seen + this.#o.resolveEvery;
    }
  }

  protected decide(estimate: QueryEstimate, scores: Float64Array): Decision {
    const margin = 1 + this.#o.safetyMargin;
    const fits = (m: number): boolean => {
      const g = estimate.cost[m]!;
      return Number.isFinite(g) && this.committed(m) + margin * g <= this.#budgets[m]!;
    };
    const pick = selectWithFallback(scores, fits, this.#o.dropNegative ? { minScore: 0 } : {});
    if (this.#o.paceStep > 0) this.#pace(pick?.model ?? -1, pick ? estimate.cost[pick.model]! : 0);
    if (!pick) {
      const anyFits = Array.from({ length: this.nModels }, (_, m) => m).some(fits);
      return { kind: 'drop', reason: anyFits ? 'policy' : 'no_budget' };
    }
    const reservedCost = margin * estimate.cost[pick.model]!;
    this.#reserved[pick.model]! += reservedCost;
    this.#inFlight[pick.model]! += 1;
    return { kind: 'route', model: pick.model, fallbackRank: pick.rank, scores, reservedCost };
  }

  override recordOutcome(o: ServedOutcome): void {
    this.#release(o.model, o.reservedCost);
    this.#observed[o.model]! += o.cost;
  }

  override recordLost(o: LostOutcome): void {
    this.#release(o.model, o.reservedCost);
  }

  #release(model: number, amount: number): void {
    // Float residue of add/subtract pairs must neither go negative nor linger once nothing is in
    // flight, or committed spend would drift from observed spend.
    this.#inFlight[model] = Math.max(0, this.#inFlight[model]! - 1);
    this.#reserved[model] = this.#inFlight[model] === 0 ? 0 : Math.max(0, this.#reserved[model]! - amount);
  }

  /**
   * True (and the interval restarts now) when minResolveIntervalMs allows a re-solve. The
   * doubling warm-up (queries 1, 2, 4, ... up to resolveEvery) is never held back: it is a
   * handful of solves per stream, and without them the first prices come from almost nothing.
   */
  #claimResolveSlot(): boolean {
    if (this.#o.minResolveIntervalMs <= 0) return true;
    const now = this.#clock();
    if (this.#seen < this.#o.resolveEvery) {
      this.#lastSolveMs = now;
      return true;
    }
    if (now - this.#lastSolveMs < this.#o.minResolveIntervalMs) return false;
    this.#lastSolveMs = now;
    return true;
  }

  #remainingQueries(): number {
    return Math.max(1, this.#o.streamLength - this.#seen + 1);
  }

  #resolve(): void {
    const M = this.nModels;
    const n = this.#winCount;
    const scale = n / this.#remainingQueries();
    const budgets = new Float64Array(M);
    for (let m = 0; m < M; m++) budgets[m] = Math.max(0, this.#budgets[m]! - this.committed(m)) * scale;
    const { gamma } = solveDualPrices(this.#solver, {
      nQueries: n,
      nModels: M,
      quality: this.#winQuality.subarray(0, n * M),
      cost: this.#winCost.subarray(0, n * M),
      budgets,
      alpha: this.pricingState.alpha,
      gammaMax: this.#o.gammaMax,
      allowDrop: true,
    });
    this.#solves++;
    this.setPrices(gamma);
  }

  #pace(model: number, cost: number): void {
    const M = this.nModels;
    const R = this.#remainingQueries();
    const next = Float64Array.from(this.pricingState.prices);
    for (let m = 0; m < M; m++) {
      const rho = Math.max(0, this.#budgets[m]! - this.committed(m)) / R;
      if (!(rho > 0) || next[m] === 0) continue;
      const spend = m === model ? cost : 0;
      next[m] = Math.min(this.#o.gammaMax, next[m]! * Math.exp(this.#o.paceStep * Math.max(-1, Math.min(1, (spend - rho) / rho))));
    }
    this.setPrices(next);
  }
}
