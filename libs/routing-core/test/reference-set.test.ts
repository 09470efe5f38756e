import { describe, expect, it } from 'vitest';
import { ReferenceSet, RoutingError } from '../src/index.ts';

describe('ReferenceSet', () => {
  it('grows past its initial capacity and keeps row ids and values', () => {
    const ref = new ReferenceSet(['a', 'b'], 1);
    for (let i = 0; i < 5; i++) expect(ref.append({ quality: [i, NaN], cost: [i * 10, 1] })).toBe(i);
    expect(ref.size).toBe(5);
    expect(ref.value('quality', 3, 0)).toBe(3);
    expect(ref.value('cost', 4, 0)).toBe(40);
    expect(Number.isNaN(ref.value('quality', 2, 1))).toBe(true);
    expect(Number.isNaN(ref.value('tokens', 0, 0))).toBe(true);
  });

  it('keeps global means over non-missing cells only', () => {
    const ref = ReferenceSet.fromArrays(['a', 'b'], {
      quality: Float64Array.from([1, NaN, 0, 0.5, 1, NaN]),
      cost: Float64Array.from([1, 2, 3, 4, 5, 6]),
    });
    expect(ref.globalMean('quality', 0)).toBeCloseTo(2 / 3);
    expect(ref.globalMean('quality', 1)).toBe(0.5);
    expect(ref.globalMeans('cost')).toEqual(Float64Array.from([3, 4]));
    expect(Number.isNaN(ref.globalMean('tokens', 0))).toBe(true);
  });

  it('rejects rows of the wrong width', () => {
    const ref = new ReferenceSet(['a', 'b']);
    expect(() => ref.append({ quality: [1], cost: [1, 2] })).toThrowError(RoutingError);
    try {
      ref.append({ quality: [1], cost: [1, 2] });
    } catch (e) {
      expect((e as RoutingError).code).toBe('dimension_mismatch');
    }
  });
});
