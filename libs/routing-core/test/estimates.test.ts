import { describe, expect, it } from 'vitest';
import { ReferenceSet, estimateFromNeighbours, estimateRow } from '../src/index.ts';

// 4 reference rows x 2 models; model b is missing on rows 0 and 1.
const ref = ReferenceSet.fromArrays(['a', 'b'], {
  quality: Float64Array.from([1, NaN, 0, NaN, 1, 1, 0, 0]),
  cost: Float64Array.from([0.1, 1, 0.3, 1, 0.5, 2, 0.7, 4]),
  tokens: Float64Array.from([10, 100, 30, 100, 50, 200, 70, 400]),
});

describe('estimateFromNeighbours', () => {
  it('averages each model over the neighbours that have a value, with the support count', () => {
    const est = estimateFromNeighbours(ref, Int32Array.from([0, 1, 2]), { k: 3 });
    expect(est.nQueries).toBe(1);
    expect(est.quality[0]).toBeCloseTo(2 / 3);
    expect(est.cost[0]).toBeCloseTo(0.3);
    expect(est.tokens[0]).toBeCloseTo(30);
    // Only row 2 has a quality for model b.
    expect(est.quality[1]).toBe(1);
    expect(est.support[0]).toBe(3);
    expect(est.support[1]).toBe(1);
  });

  it('falls back to the global mean when no neighbour has a value, with support 0', () => {
    const est = estimateFromNeighbours(ref, Int32Array.from([0, 1]), { k: 2 });
    expect(est.quality[1]).toBe(ref.globalMean('quality', 1));
    expect(est.quality[1]).toBe(0.5);
    expect(est.support[1]).toBe(0);
    // Cost of b is present on rows 0 and 1, so it is not a fallback.
    expect(est.cost[1]).toBe(1);
  });

  it('skips -1 padding and out-of-range ids', () => {
    const est = estimateFromNeighbours(ref, Int32Array.from([3, -1, 99]), { k: 3 });
    expect(est.quality[0]).toBe(0);
    expect(est.cost[0]).toBeCloseTo(0.7);
    expect(est.support[0]).toBe(1);
  });

  it('weights neighbours by similarity when asked', () => {
    const ids = Int32Array.from([0, 1]);
    const scores = Float32Array.from([0.9, 0.1]);
    const est = estimateFromNeighbours(ref, ids, { k: 2, scores, weighting: 'similarity' });
    const w0 = 0.9 + 1e-6;
    const w1 = 0.1 + 1e-6;
    expect(est.quality[0]).toBeCloseTo((w0 * 1 + w1 * 0) / (w0 + w1), 6);
    const uniform = estimateFromNeighbours(ref, ids, { k: 2 });
    expect(uniform.quality[0]).toBe(0.5);
  });

  it('gives row views of a batch', () => {
    const est = estimateFromNeighbours(ref, Int32Array.from([0, 2, 1, 3]), { k: 2 });
    const row = estimateRow(est, 1);
    expect(Array.from(row.cost)).toEqual([est.cost[2], est.cost[3]]);
  });
});
