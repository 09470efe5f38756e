import type { Decision } from '../decision.ts';
import { estimateRow, type EstimateBatch, type QueryEstimate } from '../estimates.ts';
import { kernelInput, scoreQuery, type Pricing, type ScoreKernel } from '../policy-score.ts';
import type { LostOutcome, PolicyName, RoutingPolicy, ServedOutcome } from './types.ts';

/**
 * Shared batch mechanics: per query, `prepare` runs first (it may record the estimate and
 * re-price), then the query is scored under the current pricing and `decide` applies budgets
 * and fallbacks. With a kernel, rows are scored in one kernel call per price version; a price
 * change mid-batch re-scores the rest of the batch.
 */
export abstract class BasePolicy implements RoutingPolicy {
  abstract readonly name: PolicyName;
  readonly nModels: number;
  protected pricingState: Pricing;

  constructor(nModels: number, alpha: number) {
    this.nModels = nModels;
    this.pricingState = { version: 0, alpha, prices: new Float64Array(nModels) };
  }

  pricing(): Pricing {
    return this.pricingState;
  }

  protected setPrices(prices: Float64Array, alpha = this.pricingState.alpha): void {
    this.pricingState = { version: this.pricingState.version + 1, alpha, prices };
  }

  /** Hook run before each query is scored (record estimates, re-solve prices, phase changes). */
  protected prepare(_estimate: QueryEstimate): void {}

  protected abstract decide(estimate: QueryEstimate, scores: Float64Array): Decision;

  choose(estimate: QueryEstimate): Decision {
    this.prepare(estimate);
    return this.decide(estimate, scoreQuery(this.pricingState, estimate));
  }

  chooseBatch(batch: EstimateBatch, kernel?: ScoreKernel): Decision[] {
    if (!kernel) {
      const out: Decision[] = [];
      for (let q = 0; q < batch.nQueries; q++) out.push(this.choose(estimateRow(batch, q)));
      return out;
    }
    const M = batch.nModels;
    const out: Decision[] = [];
    let scored: { version: number; from: number; scores: Float32Array } | undefined;
    for (let q = 0; q < batch.nQueries; q++) {
      const est = estimateRow(batch, q);
      this.prepare(est);
      if (!scored || scored.version !== this.pricingState.version) {
        const res = kernel(kernelInput(batch, this.pricingState, q));
        scored = { version: this.pricingState.version, from: q, scores: res.scores };
      }
      const row = Float64Array.from(scored.scores.subarray((q - scored.from) * M, (q - scored.from + 1) * M));
      out.push(this.decide(est, row));
    }
    return out;
  }

  recordOutcome(_outcome: ServedOutcome): void {}

  recordLost(_outcome: LostOutcome): void {}
}
