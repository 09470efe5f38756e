import { describe, expect, it } from 'vitest';
import { estimateFromNeighbours, estimatePerModel, ReferenceSet, RoutingError } from '../../src/index.ts';

const N = Number.NaN;

describe('estimatePerModel', () => {
  it('equals the plain top-k mean on complete rows', () => {
    const ref = ReferenceSet.fromArrays(['a', 'b'], { quality: Float64Array.from([1, 0, 0, 1, 1, 1, 0, 0]), cost: Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8]) });
    const ids = Int32Array.from([3, 1, 0, 2]);
    const plain = estimateFromNeighbours(ref, Int32Array.from([3, 1]), { k: 2 });
    const wide = estimatePerModel(ref, ids, 4, 2);
    expect(Array.from(wide.quality)).toEqual(Array.from(plain.quality));
    expect(Array.from(wide.cost)).toEqual(Array.from(plain.cost));
  });

  it('gives each model its own k neighbours when partial rows crowd the top', () => {
    // rows 0-1 complete; rows 2-3 were appended from outcomes of model 0 only
    const ref = ReferenceSet.fromArrays(['a', 'b'], {
      quality: Float64Array.from([1, 0.2, 1, 0.4, 0, N, 0, N]),
      cost: Float64Array.from([1, 2, 1, 2, 1, N, 1, N]),
    });
    const ids = Int32Array.from([2, 3, 0, 1]);
    const e = estimatePerModel(ref, ids, 4, 2);
    expect(e.quality[0]).toBe(0);
    expect(e.quality[1]).toBeCloseTo(0.3, 12);
    expect(Array.from(e.support)).toEqual([2, 2]);
    // the plain top-2 would have no value at all for model 1 and fall back to its global mean
    expect(estimateFromNeighbours(ref, Int32Array.from([2, 3]), { k: 2 }).support[1]).toBe(0);
  });

  it('falls back to the global mean with support 0, and skips padding', () => {
    const ref = ReferenceSet.fromArrays(['a'], { quality: Float64Array.from([0.5, 1]), cost: Float64Array.from([1, 3]) });
    const e = estimatePerModel(ref, Int32Array.from([-1, -1]), 2, 1);
    expect(e.quality[0]).toBe(0.75);
    expect(e.support[0]).toBe(0);
    expect(() => estimatePerModel(ref, Int32Array.from([0, 1, 0]), 2, 1)).toThrow(RoutingError);
    expect(() => estimatePerModel(ref, Int32Array.from([0, 1]), 2, 3)).toThrow(RoutingError);
  });
});
