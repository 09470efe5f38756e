import { describe, expect, it } from 'vitest';
import { l2normalize, validateVector } from '../src/index.ts';

describe('validateVector', () => {
  it('accepts a finite vector of the right size and returns a unit-length copy', () => {
    const input = [3, 4];
    const r = validateVector(input, 2);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(Array.from(r.vector)).toEqual([expect.closeTo(0.6, 6), expect.closeTo(0.8, 6)]);
      expect(input).toEqual([3, 4]);
    }
  });

  it.each([
    [[1, 2, 3], 2, 'wrong_dimension'],
    [[1, Number.NaN], 2, 'not_finite'],
    [[1, Number.POSITIVE_INFINITY], 2, 'not_finite'],
    [[1e39, 1], 2, 'not_finite'], // finite as a double, Infinity as float32
    [[0, 0], 2, 'zero_norm'],
  ] as const)('rejects %j (dim %i) as %s', (v, dim, reason) => {
    expect(validateVector(v, dim)).toEqual({ ok: false, reason });
  });
});

describe('l2normalize', () => {
  it('scales in place and leaves the zero vector alone', () => {
    const v = Float32Array.from([0, 5, 0]);
    expect(l2normalize(v)).toBe(v);
    expect(Array.from(v)).toEqual([0, 1, 0]);
    expect(Array.from(l2normalize(new Float32Array(2)))).toEqual([0, 0]);
  });
});
