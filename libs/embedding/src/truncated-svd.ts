// Truncated SVD of a dense row-major matrix by randomized range finding (Halko, Martinsson &
// Tropp, "Finding structure with randomness", SIAM Review 2011, Algorithms 4.3/4.4 and 5.1):
// sketch the range with a Gaussian test matrix, sharpen it with a few power iterations
// (re-orthonormalised each time), then solve the small l x l eigenproblem exactly. ml-matrix
// supplies the QR and the symmetric eigendecomposition; the products with the big matrix are
// plain loops over its rows, the part that costs.
import { EigenvalueDecomposition, Matrix, QrDecomposition } from 'ml-matrix';
import { mulberry32Float } from './random.ts';

export interface TruncatedSvdOptions {
  /** Singular vectors kept. */
  readonly rank: number;
  /** Extra sketch columns beyond `rank` (Halko et al. recommend 5 to 20). */
  readonly oversample?: number;
  /** Power iterations; each sharpens the spectrum's decay at two more passes over the data. */
  readonly powerIterations?: number;
  readonly seed?: number;
}

export interface TruncatedSvd {
  /** rank x cols, row-major: the top right singular vectors, one per row, orthonormal. */
  readonly components: Float32Array;
  /** The matching singular values, descending. */
  readonly singularValues: Float64Array;
}

/** Y (rows x l) = X (rows x cols) * W (cols x l); W row-major. */
function timesRight(x: Float32Array, rows: number, cols: number, w: Float64Array, l: number): Float64Array {
  const y = new Float64Array(rows * l);
  for (let i = 0; i < rows; i++) {
    const yo = i * l;
    const xo = i * cols;
    for (let d = 0; d < cols; d++) {
      const v = x[xo + d]!;
      if (v === 0) continue;
      const wo = d * l;
      for (let j = 0; j < l; j++) y[yo + j]! += v * w[wo + j]!;
    }
  }
  return y;
}

/** Z (cols x l) = X^T (cols x rows) * Y (rows x l). */
function timesLeftTransposed(x: Float32Array, rows: number, cols: number, y: Float64Array, l: number): Float64Array {
  const z = new Float64Array(cols * l);
  for (let i = 0; i < rows; i++) {
    const yo = i * l;
    const xo = i * cols;
    for (let d = 0; d < cols; d++) {
      const v = x[xo + d]!;
      if (v === 0) continue;
      const zo = d * l;
      for (let j = 0; j < l; j++) z[zo + j]! += v * y[yo + j]!;
    }
  }
  return z;
}

/** An orthonormal basis of the columns of a (rows x l, row-major), as row-major rows x l. */
function orthonormalColumns(a: Float64Array, rows: number, l: number): Float64Array {
  const m = new Matrix(rows, l);
  for (let i = 0; i < rows; i++) for (let j = 0; j < l; j++) m.set(i, j, a[i * l + j]!);
  const q = new QrDecomposition(m).orthogonalMatrix;
  const out = new Float64Array(rows * l);
  for (let i = 0; i < rows; i++) for (let j = 0; j < l; j++) out[i * l + j] = q.get(i, j);
  return out;
}

export function truncatedSvd(x: Float32Array, rows: number, cols: number, opts: TruncatedSvdOptions): TruncatedSvd {
  const rank = Math.min(opts.rank, rows, cols);
  const l = Math.min(rank + (opts.oversample ?? 16), rows, cols);
  const rand = mulberry32Float(opts.seed ?? 0x15a);
  const gaussian = (): number => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const omega = Float64Array.from({ length: cols * l }, gaussian);
  let q = orthonormalColumns(timesRight(x, rows, cols, omega, l), rows, l);
  for (let it = 0; it < (opts.powerIterations ?? 2); it++) {
    const z = orthonormalColumns(timesLeftTransposed(x, rows, cols, q, l), cols, l);
    q = orthonormalColumns(timesRight(x, rows, cols, z, l), rows, l);
  }
  // B^T = X^T Q (cols x l); B B^T = Q^T X X^T Q = (B^T)^T B^T, l x l.
  const bt = timesLeftTransposed(x, rows, cols, q, l);
  const gram = new Matrix(l, l);
  for (let a = 0; a < l; a++) {
    for (let b = a; b < l; b++) {
      let s = 0;
      for (let d = 0; d < cols; d++) s += bt[d * l + a]! * bt[d * l + b]!;
      gram.set(a, b, s);
      gram.set(b, a, s);
    }
  }
  const eig = new EigenvalueDecomposition(gram, { assumeSymmetric: true });
  const order = eig.realEigenvalues.map((v, i) => [v, i] as const).sort((p, r) => r[0] - p[0]);
  const u = eig.eigenvectorMatrix;
  const components = new Float32Array(rank * cols);
  const singularValues = new Float64Array(rank);
  for (let r = 0; r < rank; r++) {
    const [lambda, col] = order[r]!;
    const sigma = Math.sqrt(Math.max(lambda, 0));
    singularValues[r] = sigma;
    if (sigma === 0) continue;
    // v_r = B^T u_r / sigma_r
    for (let d = 0; d < cols; d++) {
      let s = 0;
      for (let j = 0; j < l; j++) s += bt[d * l + j]! * u.get(j, col);
      components[r * cols + d] = s / sigma;
    }
  }
  return { components, singularValues };
}
