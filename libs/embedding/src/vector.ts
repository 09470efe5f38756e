/** Scales `v` in place to unit L2 norm (a zero vector stays zero) and returns it. */
export function l2normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  if (s > 0) {
    const inv = 1 / Math.sqrt(s);
    for (let i = 0; i < v.length; i++) v[i]! *= inv;
  }
  return v;
}

export type VectorValidation =
  | { ok: true; vector: Float32Array }
  | { ok: false; reason: 'wrong_dimension' | 'not_finite' | 'zero_norm' };

/**
 * Checks a precomputed embedding supplied with a request and returns an L2-normalised copy;
 * an invalid vector is an expected outcome (the request goes to the dead-letter path), not a throw.
 */
export function validateVector(v: ArrayLike<number>, dim: number): VectorValidation {
  if (v.length !== dim) return { ok: false, reason: 'wrong_dimension' };
  const out = new Float32Array(dim);
  let s = 0;
  for (let i = 0; i < dim; i++) {
    const x = v[i]!;
    if (!Number.isFinite(x)) return { ok: false, reason: 'not_finite' };
    out[i] = x;
    s += x * x;
  }
  // Check in float32: a float64 that is finite may overflow or underflow once narrowed.
  if (!(s > 0) || !Number.isFinite(s)) return { ok: false, reason: s > 0 ? 'not_finite' : 'zero_norm' };
  for (let i = 0; i < dim; i++) if (!Number.isFinite(out[i]!)) return { ok: false, reason: 'not_finite' };
  return { ok: true, vector: l2normalize(out) };
}

/** Dot product of two equal-length vectors (cosine when both are unit length). */
export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
