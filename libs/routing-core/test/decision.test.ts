import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rankModels, selectWithFallback } from '../src/index.ts';

describe('selectWithFallback', () => {
  it('takes the best allowed model and reports its rank', () => {
    const scores = [0.2, 0.9, 0.5];
    expect(Array.from(rankModels(scores))).toEqual([1, 2, 0]);
    expect(selectWithFallback(scores, () => true)).toEqual({ model: 1, rank: 0 });
    expect(selectWithFallback(scores, (m) => m !== 1)).toEqual({ model: 2, rank: 1 });
    expect(selectWithFallback(scores, () => false)).toBeNull();
  });

  it('honours maxFallbacks and minScore', () => {
    const scores = [0.2, 0.9, -0.5];
    expect(selectWithFallback(scores, (m) => m === 0, { maxFallbacks: 0 })).toBeNull();
    expect(selectWithFallback(scores, (m) => m === 2, { minScore: 0 })).toBeNull();
    expect(selectWithFallback(scores, (m) => m === 2)).toEqual({ model: 2, rank: 2 });
  });

  it('ranks NaN last', () => {
    expect(Array.from(rankModels([NaN, 0, 1]))).toEqual([2, 1, 0]);
  });

  it('orders like a stable sort by descending score with NaN as -Infinity (ties: lower index first)', () => {
    const score = fc.oneof(fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, 1), fc.double({ noNaN: true }));
    fc.assert(
      fc.property(fc.array(score, { maxLength: 40 }), (scores) => {
        const key = (i: number): number => (Number.isNaN(scores[i]!) ? Number.NEGATIVE_INFINITY : scores[i]!);
        const expected = scores.map((_, i) => i).sort((a, b) => (key(a) === key(b) ? a - b : key(b) > key(a) ? 1 : -1));
        expect(Array.from(rankModels(scores))).toEqual(expected);
      }),
    );
  });
});
