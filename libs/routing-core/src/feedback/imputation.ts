import { RoutingError } from '../errors.ts';
import type { ReferenceSet } from '../reference-set.ts';

/**
 * Fills the unobserved quality cells of an outcome row by linear regression on the observed one.
 *
 * An outcome reveals only the served model's quality, but correctness is strongly correlated
 * across models (a question one model gets wrong is harder for the others too). With the
 * pairwise regression slopes b(m' | m) = cov(q_m', q_m) / var(q_m), taken over the reference
 * rows that hold both models, the best linear predictor of model m''s quality given model m's
 * observed quality v at a query x is
 *   q^_m'(x) = d^_m'(x) + b(m' | m) * (v - d^_m(x)),
 * with d^(x) the k-NN estimates the query was routed on (regression imputation of missing
 * values, Little & Rubin, "Statistical Analysis with Missing Data", ch. 4; the same
 * conditional-mean step as neighbourhood collaborative filtering). Completed this way, an
 * outcome row moves every model's estimate near x in the direction the observation points,
 * instead of correcting only the served model while the others keep their k-NN noise; slopes
 * are shrunk toward 0 by `priorCount` pseudo-rows.
 */
export class OutcomeImputation {
  readonly nModels: number;
  readonly #slope: Float64Array;
  readonly #lo: number;
  readonly #hi: number;

  constructor(ref: ReferenceSet, options: { readonly priorCount: number; readonly range?: readonly [number, number] }) {
    if (!(options.priorCount >= 0)) throw new RoutingError('invalid_config', 'imputation priorCount must be >= 0');
    const M = ref.nModels;
    const [lo, hi] = options.range ?? [0, 1];
    if (!(hi > lo)) throw new RoutingError('invalid_config', 'imputation range must be increasing');
    this.nModels = M;
    this.#lo = lo;
    this.#hi = hi;
    this.#slope = new Float64Array(M * M);
    const q = ref.view('quality');
    const n = ref.size;
    for (let a = 0; a < M; a++) {
      for (let b = 0; b < M; b++) {
        if (a === b) {
          this.#slope[a * M + b] = 1;
          continue;
        }
        // slope of model a on model b over rows holding both (two-pass for stability)
        let c = 0;
        let sa = 0;
        let sb = 0;
        for (let r = 0; r < n; r++) {
          const va = q[r * M + a]!;
          const vb = q[r * M + b]!;
          if (Number.isNaN(va) || Number.isNaN(vb)) continue;
          c++;
          sa += va;
          sb += vb;
        }
        if (c < 2) continue;
        const ma = sa / c;
        const mb = sb / c;
        let cov = 0;
        let varB = 0;
        for (let r = 0; r < n; r++) {
          const va = q[r * M + a]!;
          const vb = q[r * M + b]!;
          if (Number.isNaN(va) || Number.isNaN(vb)) continue;
          cov += (va - ma) * (vb - mb);
          varB += (vb - mb) * (vb - mb);
        }
        this.#slope[a * M + b] = varB > 0 ? cov / (varB + (options.priorCount * varB) / c) : 0;
      }
    }
  }

  /** Regression slope of model `to` on model `from`. */
  slope(to: number, from: number): number {
    return this.#slope[to * this.nModels + from]!;
  }

  /**
   * Quality row for an outcome of `model` (observed quality `observed`) at a query whose k-NN
   * estimates were `predicted` (all models): the observed cell as is, the others imputed and
   * clamped to the range; NaN where the estimate is not finite.
   */
  row(model: number, observed: number, predicted: ArrayLike<number>): Float64Array {
    const M = this.nModels;
    if (model < 0 || model >= M) throw new RoutingError('invalid_input', `model ${model} out of range`);
    if (predicted.length !== M) throw new RoutingError('dimension_mismatch', `expected ${M} estimates`);
    const out = new Float64Array(M).fill(Number.NaN);
    out[model] = observed;
    const delta = observed - predicted[model]!;
    if (!Number.isFinite(delta)) return out;
    for (let m = 0; m < M; m++) {
      if (m === model || !Number.isFinite(predicted[m]!)) continue;
      out[m] = Math.max(this.#lo, Math.min(this.#hi, predicted[m]! + this.slope(m, model) * delta));
    }
    return out;
  }
}
