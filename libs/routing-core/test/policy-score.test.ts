import { describe, expect, it } from 'vitest';
import { estimateBatchOf, kernelInput } from '../src/index.ts';

describe('kernelInput', () => {
  const pricing = { alpha: 1, prices: Float64Array.of(1, 1), version: 0 };

  it('masks the cells of a model without an estimate instead of passing NaN to the kernel', () => {
    const batch = estimateBatchOf(2, Float64Array.of(0.7, Number.NaN, 0.4, 0.5), Float64Array.of(1, Number.NaN, 2, 3));
    const input = kernelInput(batch, pricing);
    expect(Array.from(input.mask!)).toEqual([1, 0, 1, 1]);
    expect(Array.from(input.quality)).toEqual([Math.fround(0.7), 0, Math.fround(0.4), 0.5]);
    expect(Array.from(input.cost)).toEqual([1, 0, 2, 3]);
  });

  it('adds no mask when every cell has an estimate', () => {
    const input = kernelInput(estimateBatchOf(2, Float64Array.of(0.7, 0.2), Float64Array.of(1, 1)), pricing);
    expect(input.mask).toBeUndefined();
  });
});
