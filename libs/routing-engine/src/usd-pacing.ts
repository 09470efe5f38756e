// The dual price of a job's dollar budget inside the engine, so that the router and file mode
// (route, plan) rank a budgeted request's models the same way. PORT's setting (arXiv
// 2509.02718): one budget, one stream. Each job with a dollar budget gets routing-core's
// UsdPacer, which re-solves the single price gamma of that budget on the job's recent requests
// against what is left of it, scaled to what is left of the job (the remaining requests, or
// those that can still run before the deadline under the models' rate limits when fewer). A
// request's models are then ranked by PORT's score with the job budget's price,
//
//   d^_m - gamma g^_m
//
// (d^ the estimated quality, g^ the estimated cost in USD at the models' prices). The job's
// price takes the place of the policy's per-model prices, which plan the models' day token
// budgets over an assumed day of traffic; the token windows themselves still bind, as limits
// (a request they cannot take waits for the next window). The dollar gate reserves the worst
// case of the first model of that ranking that fits. With the budget loose gamma is 0 and the
// best-predicted model leads; as the job spends ahead of its pace gamma rises and cheaper models
// move up, so the budget is spread over the job: not spent first come, first served, and not
// left mostly unspent because the policy's prices for its token budgets favoured cheap models.
import { costUsd, hasPrice, worstCaseCostUsd } from '@switchyard/config';
import type { ModelPrice } from '@switchyard/config';
import { UsdPacer } from '@switchyard/routing-core';
import type { Scored } from './slice.ts';

export interface UsdJobPace {
  readonly budgetUsd: number;
  /** What the dollar ledger holds for the job now: outstanding reservations + settled true costs. */
  readonly committedUsd: number;
  /** Epoch ms by which the job should be done; null for none. */
  readonly deadlineMs: number | null;
  /** Requests the job has; null while unknown (still being submitted). */
  readonly expectedRequests: number | null;
  /**
   * Requests of the job already decided by every instance together (routed or rejected), when
   * the shell knows it (the router: Postgres); null in a single process, which sees them all.
   */
  readonly decidedRequests?: number | null;
}

export interface UsdPacingOptions {
  /** Recent requests of a job the price is re-solved on. */
  readonly windowSize: number;
  /** Re-solve every this many requests of a job (after the doubling warm-up 1, 2, 4, ...). */
  readonly resolveEvery: number;
  /** Upper bound on gamma (score per USD). */
  readonly gammaMax: number;
  /** Jobs whose pacers are kept (least recently seen dropped first), bounding memory. */
  readonly maxJobs: number;
}

export const DEFAULT_USD_PACING: UsdPacingOptions = Object.freeze({ windowSize: 256, resolveEvery: 32, gammaMax: 1e9, maxJobs: 1_000 });

/** Per model, what the rate limits let through (tokens per minute) and its price, when it has one. */
export interface PacedModel extends ModelPrice {
  readonly tokensPerMinute: number;
}

/**
 * A request's estimated cost per model in the dollar ledger's terms: where the model has a
 * price, that price on the request's prompt tokens and the workers' estimate of its output
 * tokens, capped at the worst case (a true cost cannot pass it when executors honour max output
 * tokens); else the reference set's estimate. The ledger charges prices, so pacing and quotes
 * that count in reference-set dollars would drift from what is charged wherever the two differ.
 */
export function pricedCostsUsd(models: readonly ModelPrice[], s: Pick<Scored, 'costUsd' | 'estimatedTokens' | 'promptTokens' | 'request'>): Float64Array {
  return Float64Array.from(s.costUsd, (c, m) => {
    const model = models[m];
    if (model === undefined || !hasPrice(model)) return c;
    const completionTokens = Math.max(0, (s.estimatedTokens[m] ?? 0) - s.promptTokens);
    return Math.min(costUsd(model, { promptTokens: s.promptTokens, completionTokens }), worstCaseCostUsd(model, s.promptTokens, s.request.maxOutputTokens));
  });
}

export class UsdJobPacing {
  readonly #models: readonly PacedModel[];
  readonly #o: UsdPacingOptions;
  readonly #pacers = new Map<string, { pacer: UsdPacer; budgetUsd: number }>();

  constructor(models: readonly PacedModel[], options: UsdPacingOptions = DEFAULT_USD_PACING) {
    this.#models = models;
    this.#o = options;
  }

  /** The current price of a job's budget (0 for a job not paced yet). */
  gamma(jobId: string): number {
    return this.#pacers.get(jobId)?.pacer.gamma ?? 0;
  }

  /**
   * The paced scores of each admitted request, in order (null: its job has no dollar budget).
   * Requests are observed in slice order; within a slice the committed amount grows by the
   * estimated cost of each request's best paced model, as the gate's reservations will.
   */
  scores(admitted: readonly Scored[], paces: ReadonlyMap<string, UsdJobPace>, nowMs: number): (Float64Array | null)[] {
    const added = new Map<string, number>();
    const observed = new Map<string, number>();
    return admitted.map((s) => {
      const pace = paces.get(s.request.jobId);
      if (pace === undefined) return null;
      const pacer = this.#pacerFor(s.request.jobId, pace);
      pacer.setCommittedUsd(pace.committedUsd + (added.get(s.request.jobId) ?? 0));
      pacer.update({ streamLength: pace.expectedRequests, deadlineMs: pace.deadlineMs, throughputPerSec: this.#throughput(s.estimatedTokens) });
      const inSlice = observed.get(s.request.jobId);
      if (s.deferrals === 0 || inSlice === undefined) observed.set(s.request.jobId, (inSlice ?? 0) + (s.deferrals === 0 ? 1 : 0));
      pacer.setDecided(pace.decidedRequests === undefined || pace.decidedRequests === null ? null : pace.decidedRequests + (inSlice ?? 0));
      // Once per slice and job: the ledger moved since the last solve (outcomes settled, worst
      // cases came back), and requests back from the deferred topic trigger no solve of their own.
      if (inSlice === undefined) pacer.resolve(nowMs);
      const cost = this.#costs(s);
      // A request back from the deferred topic was observed when it first came: counting it
      // again would make the job look further along than it is (a budget-deferred request can
      // come back hundreds of times) and the pace run ahead.
      const gamma = s.deferrals > 0 ? pacer.gamma : pacer.observe({ quality: s.quality, cost }, nowMs);
      const paced = Float64Array.from(s.quality, (d, m) => {
        const g = cost[m]!;
        return Number.isFinite(g) && Number.isFinite(d) ? d - gamma * g : Number.NEGATIVE_INFINITY;
      });
      let best = -1;
      for (let m = 0; m < paced.length; m++) if (best < 0 || paced[m]! > paced[best]!) best = m;
      if (best >= 0 && Number.isFinite(cost[best]!)) added.set(s.request.jobId, (added.get(s.request.jobId) ?? 0) + cost[best]!);
      return paced;
    });
  }

  #costs(s: Scored): Float64Array {
    return pricedCostsUsd(this.#models, s);
  }

  /**
   * Requests per second a job could run at if it had every model's minute window to itself:
   * per model, tokens per second over this request's estimated tokens there.
   */
  #throughput(tokens: ArrayLike<number>): number | null {
    let perSec = 0;
    this.#models.forEach((m, i) => {
      const t = tokens[i]!;
      if (Number.isFinite(t) && t > 0) perSec += m.tokensPerMinute / 60 / t;
    });
    return perSec > 0 ? perSec : null;
  }

  #pacerFor(jobId: string, pace: UsdJobPace): UsdPacer {
    const hit = this.#pacers.get(jobId);
    this.#pacers.delete(jobId);
    const entry =
      hit !== undefined && hit.budgetUsd === pace.budgetUsd
        ? hit
        : {
            budgetUsd: pace.budgetUsd,
            pacer: new UsdPacer({
              budgetUsd: pace.budgetUsd,
              streamLength: pace.expectedRequests,
              nModels: this.#models.length,
              alpha: 1,
              gammaMax: this.#o.gammaMax,
              windowSize: this.#o.windowSize,
              resolveEvery: this.#o.resolveEvery,
              allowDrop: false,
              deadlineMs: pace.deadlineMs,
              throughputPerSec: null,
            }),
          };
    this.#pacers.set(jobId, entry);
    if (this.#pacers.size > this.#o.maxJobs) this.#pacers.delete(this.#pacers.keys().next().value!);
    return entry.pacer;
  }
}
