// How a policy scores a model from its estimates and prices (score = alpha d^ - price g^), and
// the kernel input that hands a batch of those to a scoring backend (libs/scoring).
import { RoutingError } from './errors.ts';
import type { EstimateBatch, QueryEstimate } from './estimates.ts';

/**
 * Every score-based policy here scores a model as a linear function of its estimates,
 *   score_m = alpha * d^_m - prices_m * g^_m,
 * so scoring can run as one batch kernel (plain TS or gpu.js, in a worker) while the decision
 * (budgets, caps, fallbacks) stays a separate sequential step over the kernel's output.
 */
export interface Pricing {
  /** Bumped whenever alpha or a price changes, so precomputed scores can be checked for staleness. */
  readonly version: number;
  readonly alpha: number;
  readonly prices: Float64Array;
}

/** The batch scoring kernel's contract (implemented by @switchyard/scoring backends). */
export interface ScoreBatchInput {
  readonly nQueries: number;
  readonly nModels: number;
  readonly quality: Float32Array;
  readonly cost: Float32Array;
  readonly prices: Float32Array;
  readonly alpha: number;
  /** Added to each cell's score (exploration; see feedback/). */
  readonly bonus?: Float32Array;
  readonly mask?: Uint8Array;
}

export interface ScoreBatchOutput {
  readonly scores: Float32Array;
  readonly best: Int32Array;
}

export type ScoreKernel = (input: ScoreBatchInput) => ScoreBatchOutput;

/** Scores one query in float64 (the reference the kernels are checked against). */
export function scoreQuery(pricing: Pricing, est: QueryEstimate, out = new Float64Array(pricing.prices.length)): Float64Array {
  const M = pricing.prices.length;
  if (est.quality.length !== M || est.cost.length !== M) {
    throw new RoutingError('dimension_mismatch', `estimate has ${est.quality.length} models, pricing ${M}`);
  }
  for (let m = 0; m < M; m++) out[m] = pricing.alpha * est.quality[m]! - pricing.prices[m]! * est.cost[m]! + (est.bonus ? est.bonus[m]! : 0);
  return out;
}

/** Packs a batch and a price snapshot into the kernel's input (float32, as the kernels take). */
export function kernelInput(batch: EstimateBatch, pricing: Pricing, from = 0, to = batch.nQueries): ScoreBatchInput {
  const M = batch.nModels;
  const quality = Float32Array.from(batch.quality.subarray(from * M, to * M));
  const cost = Float32Array.from(batch.cost.subarray(from * M, to * M));
  // A model with no estimate for a query (no reference value at all, e.g. a model added without
  // history) is masked out: its score is -Infinity instead of a kernel error on NaN.
  let mask: Uint8Array | undefined;
  for (let i = 0; i < quality.length; i++) {
    if (Number.isFinite(quality[i]!) && Number.isFinite(cost[i]!)) continue;
    mask ??= new Uint8Array(quality.length).fill(1);
    mask[i] = 0;
    quality[i] = 0;
    cost[i] = 0;
  }
  return {
    nQueries: to - from,
    nModels: M,
    quality,
    cost,
    prices: Float32Array.from(pricing.prices),
    alpha: pricing.alpha,
    ...(batch.bonus ? { bonus: Float32Array.from(batch.bonus.subarray(from * M, to * M)) } : {}),
    ...(mask ? { mask } : {}),
  };
}
