import { RoutingError } from '../errors.ts';
import { createRng } from '../rng.ts';

/**
 * A seeded Gaussian random projection of unit embeddings to `dim` coordinates, renormalised,
 * with a constant last coordinate `bias`. Johnson-Lindenstrauss: inner products of the
 * embeddings are kept approximately, so a LinUCB design matrix over d ~ 16 coordinates sees
 * "how much of this neighbourhood has been observed" at O(d^2) per update instead of
 * O(D^2) over the raw hashing embedding. The bias coordinate lets the bonus also shrink with
 * a model's overall sample count.
 */
export class RandomProjection {
  readonly inputDim: number;
  readonly dim: number;
  readonly #matrix: Float64Array;
  readonly #bias: number;

  constructor(inputDim: number, dim: number, seed: number, bias = 1) {
    if (!Number.isInteger(inputDim) || inputDim <= 0 || !Number.isInteger(dim) || dim < 2) {
      throw new RoutingError('invalid_config', 'projection needs inputDim >= 1 and dim >= 2');
    }
    this.inputDim = inputDim;
    this.dim = dim;
    this.#bias = bias;
    const rng = createRng(seed);
    const k = dim - 1;
    this.#matrix = new Float64Array(k * inputDim);
    for (let i = 0; i < this.#matrix.length; i++) {
      // Box-Muller; 1 - u keeps the logarithm finite.
      const u = 1 - rng();
      const v = rng();
      this.#matrix[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
  }

  /** Projects `n` row-major vectors of inputDim into n x dim features. */
  projectBatch(vectors: ArrayLike<number>, n: number): Float64Array {
    if (vectors.length !== n * this.inputDim) throw new RoutingError('dimension_mismatch', `expected ${n} x ${this.inputDim} values`);
    const D = this.inputDim;
    const k = this.dim - 1;
    const out = new Float64Array(n * this.dim);
    for (let q = 0; q < n; q++) {
      let norm = 0;
      for (let i = 0; i < k; i++) {
        let s = 0;
        const row = i * D;
        for (let j = 0; j < D; j++) s += this.#matrix[row + j]! * vectors[q * D + j]!;
        out[q * this.dim + i] = s;
        norm += s * s;
      }
      const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
      for (let i = 0; i < k; i++) out[q * this.dim + i]! *= inv;
      out[q * this.dim + k] = this.#bias;
    }
    return out;
  }
}
