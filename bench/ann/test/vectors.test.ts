import { describe, expect, it } from 'vitest';
import { ExactIndex } from '@switchyard/ann';
import { perturbedReferenceSet, perturbedRows, StreamingTruth } from '../vectors.ts';

const dim = 16;
const base = perturbedRows(new Float32Array(dim).fill(1), dim, 0, 1, 9).slice();
const bases = new Float32Array(5 * dim);
for (let i = 0; i < 5; i++) bases.set(perturbedRows(base, dim, 100 + i, 1, i + 1), i * dim);

describe('perturbedRows', () => {
  it('starts with the real rows, then unit-length perturbations near their base row', () => {
    const rows = perturbedReferenceSet(bases, dim, 50, 3);
    expect(Array.from(rows.subarray(0, 5 * dim))).toEqual(Array.from(bases).map((x) => expect.closeTo(x, 6)));
    for (let i = 5; i < 50; i++) {
      const v = rows.subarray(i * dim, (i + 1) * dim);
      const b = bases.subarray((i % 5) * dim, ((i % 5) + 1) * dim);
      let norm = 0;
      let cos = 0;
      for (let j = 0; j < dim; j++) {
        norm += v[j]! * v[j]!;
        cos += v[j]! * b[j]!;
      }
      expect(norm).toBeCloseTo(1, 5);
      expect(cos).toBeLessThan(0.999);
      expect(cos).toBeGreaterThan(0.3);
    }
  });

  it('generates any slice alone, identical to the same rows of the whole set', () => {
    const whole = perturbedReferenceSet(bases, dim, 40, 3);
    const slice = perturbedRows(bases, dim, 25, 10, 3);
    expect(Array.from(slice)).toEqual(Array.from(whole.subarray(25 * dim, 35 * dim)));
  });
});

describe('StreamingTruth', () => {
  it('merges per-chunk exact results into the exact top-k of the whole set', () => {
    const all = perturbedReferenceSet(bases, dim, 300, 4);
    const queries = perturbedRows(bases, dim, 1000, 7, 5);
    const truth = new StreamingTruth(queries, dim, 5);
    for (let first = 0; first < 300; first += 70) truth.addChunk(all.subarray(first * dim, Math.min(300, first + 70) * dim), first);
    const exact = new ExactIndex(dim);
    exact.add(all);
    expect(Array.from(truth.ids)).toEqual(Array.from(exact.searchBatch(queries, 5).ids));
  });
});
