import { describe, expect, it } from 'vitest';
import { OutcomeImputation, ReferenceSet } from '../../src/index.ts';

function ref(quality: number[]): ReferenceSet {
  return ReferenceSet.fromArrays(['a', 'b', 'c'], { quality: Float64Array.from(quality), cost: new Float64Array(quality.length).fill(1) });
}

describe('OutcomeImputation', () => {
  // rows (a, b, c): b copies a, c is the opposite of a
  const rows = [1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1];

  it('takes pairwise regression slopes from the reference rows', () => {
    const imp = new OutcomeImputation(ref(rows), { priorCount: 0 });
    expect(imp.slope(1, 0)).toBeCloseTo(1, 12);
    expect(imp.slope(2, 0)).toBeCloseTo(-1, 12);
    expect(imp.slope(0, 0)).toBe(1);
  });

  it('fills the unserved cells as estimate + slope * (observed - estimate of the served model), clamped', () => {
    const imp = new OutcomeImputation(ref(rows), { priorCount: 0 });
    const row = imp.row(0, 0, [0.3, 0.5, 0.5]);
    expect(row[0]).toBe(0);
    expect(row[1]).toBeCloseTo(0.5 - 0.3, 12);
    expect(row[2]).toBeCloseTo(0.5 + 0.3, 12);
    const clamped = imp.row(0, 1, [0, 0.5, 0.5]);
    expect(Array.from(clamped)).toEqual([1, 1, 0]);
  });

  it('shrinks slopes with pseudo-rows and ignores rows missing either model', () => {
    const shrunk = new OutcomeImputation(ref(rows), { priorCount: 4 });
    expect(shrunk.slope(1, 0)).toBeCloseTo(4 / 8, 12);
    const withGap = new OutcomeImputation(ref([...rows, 1, Number.NaN, 1]), { priorCount: 0 });
    expect(withGap.slope(1, 0)).toBeCloseTo(1, 12);
    expect(() => shrunk.row(3, 1, [0, 0, 0])).toThrow(/out of range/);
    expect(() => shrunk.row(0, 1, [0, 0])).toThrow();
  });
});
