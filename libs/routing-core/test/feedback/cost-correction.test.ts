import { describe, expect, it } from 'vitest';
import { CostCorrection, createRng } from '../../src/index.ts';

describe('CostCorrection', () => {
  it('is 1 without outcomes and shrinks a few outcomes toward 1', () => {
    const c = new CostCorrection(2, { priorCount: 10 });
    expect(c.ratio('cost', 0)).toBe(1);
    c.observe('cost', 0, 1, 3);
    // (1 * 3 + 10) / 11
    expect(c.ratio('cost', 0)).toBeCloseTo(13 / 11, 12);
    expect(c.ratio('cost', 1)).toBe(1);
    expect(c.ratio('tokens', 0)).toBe(1);
  });

  it('converges to the true observed/predicted ratio on a noisy synthetic stream', () => {
    const rng = createRng(11);
    const truth = [1.7, 0.6];
    const c = new CostCorrection(2, { priorCount: 20 });
    const errAt: number[][] = [[], []];
    for (let t = 1; t <= 4000; t++) {
      const m = t % 2;
      const predicted = 0.001 + rng() * 0.01;
      const observed = predicted * truth[m]! * (0.7 + 0.6 * rng());
      c.observe('cost', m, predicted, observed);
      if (t === 40 || t === 4000) for (const k of [0, 1]) errAt[k]!.push(Math.abs(c.ratio('cost', k) - truth[k]!));
    }
    for (const k of [0, 1]) {
      expect(errAt[k]![1]!).toBeLessThan(0.03);
      expect(errAt[k]![1]!).toBeLessThan(errAt[k]![0]!);
    }
  });

  it('scales estimates in place per model and skips unusable predictions', () => {
    const c = new CostCorrection(2, { priorCount: 0 });
    c.observe('cost', 1, 2, 4);
    c.observe('cost', 0, 0, 5);
    c.observe('cost', 0, Number.NaN, 5);
    const cells = Float64Array.from([1, 1, 3, 3]);
    c.applyInPlace('cost', cells);
    expect(Array.from(cells)).toEqual([1, 2, 3, 6]);
    expect(c.count('cost', 0)).toBe(0);
  });
});
