import { describe, expect, it } from 'vitest';
import { PriceSchedule, parseExecutorSimConfig } from '../src/index.ts';

describe('PriceSchedule', () => {
  it('changes one model\'s price after a count of distinct requests, in the middle of a batch', () => {
    const s = new PriceSchedule([{ model: 'a', factor: 3, afterOutcomes: 3 }]);
    const factors = ['r1', 'r2', 'r3', 'r4', 'r5'].map((id, i) => s.factorFor(i % 2 === 0 ? 'a' : 'b', id));
    // r1..r3 are the first three requests (of any model); from the fourth on, 'a' costs 3x.
    expect(factors).toEqual([1, 1, 1, 1, 3]);
    expect(s.factorFor('b', 'r6')).toBe(1);
    expect(s.factorFor('a', 'r7')).toBe(3);
  });

  it('does not count a request executed again (an aborted batch replayed)', () => {
    const s = new PriceSchedule([{ model: 'a', factor: 2, afterOutcomes: 2 }]);
    expect(s.factorFor('a', 'r1')).toBe(1);
    expect(s.factorFor('a', 'r1')).toBe(1);
    expect(s.factorFor('a', 'r1')).toBe(1);
    expect(s.executed).toBe(1);
    expect(s.factorFor('a', 'r2')).toBe(1);
    expect(s.factorFor('a', 'r3')).toBe(2);
  });

  it('starts a timed change at atMs on its clock, and composes changes of one model', () => {
    let now = 1_000;
    const s = new PriceSchedule(
      [
        { model: 'a', factor: 3, atMs: 2_000 },
        { model: 'a', factor: 0.5, afterOutcomes: 1 },
      ],
      () => now,
    );
    expect(s.factorFor('a', 'r1')).toBe(1);
    expect(s.factorFor('a', 'r2')).toBe(0.5);
    now = 2_000;
    expect(s.factorFor('a', 'r3')).toBe(1.5);
  });
});

describe('executorSim.priceChanges config', () => {
  it('needs exactly one of afterOutcomes and atMs, and a positive factor', () => {
    expect(() => parseExecutorSimConfig({ priceChanges: [{ model: 'a', factor: 3 }] })).toThrow(/priceChanges\.0\.afterOutcomes.*exactly one/);
    expect(() => parseExecutorSimConfig({ priceChanges: [{ model: 'a', factor: 3, afterOutcomes: 1, atMs: 5 }] })).toThrow(/exactly one/);
    expect(() => parseExecutorSimConfig({ priceChanges: [{ model: 'a', factor: 0, afterOutcomes: 1 }] })).toThrow(/factor/);
    expect(parseExecutorSimConfig({ priceChanges: [{ model: 'a', factor: 3, afterOutcomes: 10 }] }).priceChanges).toEqual([{ model: 'a', factor: 3, afterOutcomes: 10 }]);
  });
});
