import { describe, expect, it } from 'vitest';
import { createRng, shuffledIndices } from '../src/index.ts';

describe('createRng', () => {
  it('gives the mulberry32 stream of its seed: the values every seeded run was recorded with', () => {
    const r = createRng(1);
    // mulberry32(1), first three draws.
    expect([r(), r(), r()]).toEqual([0.6270739405881613, 0.002735721180215478, 0.5274470399599522]);
  });

  it('repeats for the same seed and differs for another', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const xs = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c())).not.toEqual(xs);
  });

  it('shuffles to a permutation', () => {
    expect(Array.from(shuffledIndices(10, createRng(3))).sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
