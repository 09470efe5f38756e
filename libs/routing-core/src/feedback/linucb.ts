import { RoutingError } from '../errors.ts';

export interface LinUcbOptions {
  /** Feature dimension d (e.g. a RandomProjection's dim). */
  readonly dim: number;
  /** Ridge prior: A_m starts as lambda * I. */
  readonly lambda: number;
  /** Width multiplier (LinUCB's alpha). 0 turns exploration off. */
  readonly beta: number;
  /** Prior residual scale and its weight in pseudo-observations (before any outcome, sigma_m = sigma0). */
  readonly sigma0: number;
  readonly sigmaPriorCount: number;
}

/**
 * Per-model LinUCB confidence widths on the quality residual (observed - k-NN predicted).
 *
 * The k-NN estimate d^_m(x) is the mean prediction; what is unknown is how wrong it is where a
 * model has rarely been observed. Following LinUCB (Li, Chu, Langford & Schapire, WWW 2010,
 * "disjoint" model) as PILOT applies it to LLM routing over prompt embeddings (arXiv
 * 2508.21141), each model keeps A_m = lambda I + sum x x^T over the features of the queries it
 * served, and the optimistic bonus is
 *   bonus_m(x) = beta * sigma_m * sqrt(x^T A_m^{-1} x),
 * where sigma_m is the residual's root mean square (shrunk toward sigma0), so the width is in
 * quality units and shrinks as a model is observed near x. A_m^{-1} is kept directly with
 * Sherman-Morrison rank-one updates (O(d^2) per outcome, no solve).
 */
export class LinUcb {
  readonly nModels: number;
  readonly dim: number;
  readonly #o: LinUcbOptions;
  /** nModels blocks of d x d, row-major. */
  readonly #aInv: Float64Array;
  readonly #count: Float64Array;
  readonly #sumSqResidual: Float64Array;
  readonly #tmp: Float64Array;

  constructor(nModels: number, options: LinUcbOptions) {
    const { dim, lambda, beta, sigma0, sigmaPriorCount } = options;
    if (!Number.isInteger(nModels) || nModels <= 0) throw new RoutingError('invalid_input', 'LinUCB needs at least one model');
    if (!Number.isInteger(dim) || dim <= 0) throw new RoutingError('invalid_config', 'LinUCB dim must be a positive integer');
    if (!(lambda > 0) || !(beta >= 0) || !(sigma0 >= 0) || !(sigmaPriorCount > 0)) {
      throw new RoutingError('invalid_config', 'LinUCB needs lambda > 0, beta >= 0, sigma0 >= 0, sigmaPriorCount > 0');
    }
    this.nModels = nModels;
    this.dim = dim;
    this.#o = options;
    this.#aInv = new Float64Array(nModels * dim * dim);
    for (let m = 0; m < nModels; m++) for (let i = 0; i < dim; i++) this.#aInv[m * dim * dim + i * dim + i] = 1 / lambda;
    this.#count = new Float64Array(nModels);
    this.#sumSqResidual = new Float64Array(nModels);
    this.#tmp = new Float64Array(dim);
  }

  count(model: number): number {
    return this.#count[model] ?? 0;
  }

  /** Residual scale of a model's quality estimates (shrunk toward sigma0). */
  sigma(model: number): number {
    const { sigma0, sigmaPriorCount } = this.#o;
    return Math.sqrt((sigma0 * sigma0 * sigmaPriorCount + this.#sumSqResidual[model]!) / (sigmaPriorCount + this.#count[model]!));
  }

  /** sqrt(x^T A_m^{-1} x) for one feature vector at `offset` of `x`. */
  width(model: number, x: ArrayLike<number>, offset = 0): number {
    const d = this.dim;
    const base = model * d * d;
    let s = 0;
    for (let i = 0; i < d; i++) {
      let row = 0;
      for (let j = 0; j < d; j++) row += this.#aInv[base + i * d + j]! * x[offset + j]!;
      s += x[offset + i]! * row;
    }
    return Math.sqrt(Math.max(0, s));
  }

  /** beta * sigma_m * width_m(x), in quality units. */
  bonus(model: number, x: ArrayLike<number>, offset = 0): number {
    if (this.#o.beta === 0) return 0;
    return this.#o.beta * this.sigma(model) * this.width(model, x, offset);
  }

  /** Bonuses for n feature rows (n x dim) and every model, row-major n x nModels, times `scale`. */
  bonusBatch(features: ArrayLike<number>, n: number, scale = 1): Float64Array {
    if (features.length !== n * this.dim) throw new RoutingError('dimension_mismatch', `expected ${n} x ${this.dim} features`);
    const M = this.nModels;
    const out = new Float64Array(n * M);
    for (let q = 0; q < n; q++) for (let m = 0; m < M; m++) out[q * M + m] = scale * this.bonus(m, features, q * this.dim);
    return out;
  }

  /** Records that `model` was observed at x with quality residual (observed - predicted). */
  observe(model: number, x: ArrayLike<number>, residual: number, offset = 0): void {
    if (model < 0 || model >= this.nModels) throw new RoutingError('invalid_input', `model ${model} out of range`);
    const d = this.dim;
    const base = model * d * d;
    const u = this.#tmp;
    // Sherman-Morrison: (A + x x^T)^{-1} = A^{-1} - (A^{-1} x)(A^{-1} x)^T / (1 + x^T A^{-1} x); A^{-1} stays symmetric.
    let denom = 1;
    for (let i = 0; i < d; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += this.#aInv[base + i * d + j]! * x[offset + j]!;
      u[i] = s;
      denom += x[offset + i]! * s;
    }
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) this.#aInv[base + i * d + j]! -= (u[i]! * u[j]!) / denom;
    this.#count[model]! += 1;
    if (Number.isFinite(residual)) this.#sumSqResidual[model]! += residual * residual;
  }
}
