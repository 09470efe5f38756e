import { describe, expect, it } from 'vitest';
import { QualityCalibration } from '../../src/index.ts';

describe('QualityCalibration', () => {
  it('shifts a model by its shrunk mean residual and leaves unobserved models alone', () => {
    const cal = new QualityCalibration(2, { bins: 1, priorCount: 2 });
    expect(cal.shift(0, 0.8)).toBe(0);
    // residuals -0.8 and -0.4: sum -1.2 over 2 outcomes + 2 pseudo-outcomes
    cal.observe(0, 0.8, 0);
    cal.observe(0, 0.4, 0);
    expect(cal.count(0, 0.5)).toBe(2);
    expect(cal.shift(0, 0.1)).toBeCloseTo(-1.2 / 4, 12);
    const cells = Float64Array.from([0.9, 0.5, 0.2, 0.5]);
    cal.applyInPlace(cells);
    expect(cells[0]).toBeCloseTo(0.6, 12);
    expect(cells[1]).toBe(0.5);
    // clamped to the range
    expect(cells[2]).toBe(0);
    expect(cells[3]).toBe(0.5);
  });

  it('bins by the raw estimate, so a model can be optimistic at the top and pessimistic at the bottom', () => {
    const cal = new QualityCalibration(1, { bins: 6, priorCount: 0 });
    expect(cal.bin(0)).toBe(0);
    expect(cal.bin(0.6)).toBe(3);
    expect(cal.bin(1)).toBe(5);
    for (let i = 0; i < 4; i++) cal.observe(0, 1, i < 3 ? 1 : 0); // top bin: 3 of 4 right
    cal.observe(0, 0, 1); // bottom bin: right once
    expect(cal.shift(0, 1)).toBeCloseTo(-0.25, 12);
    expect(cal.shift(0, 0)).toBe(1);
    expect(cal.shift(0, 0.6)).toBe(0);
    const cells = Float64Array.from([1, 0, 0.6]);
    cal.applyInPlace(cells);
    expect(Array.from(cells)).toEqual([0.75, 1, 0.6]);
  });

  it('skips non-finite values and rejects bad options', () => {
    const cal = new QualityCalibration(1, { bins: 1, priorCount: 0 });
    cal.observe(0, Number.NaN, 1);
    cal.observe(0, 0.5, Number.NaN);
    expect(cal.count(0, 0.5)).toBe(0);
    expect(() => cal.observe(1, 0.5, 1)).toThrow(/out of range/);
    expect(() => new QualityCalibration(1, { bins: 0, priorCount: 0 })).toThrow();
    expect(() => new QualityCalibration(1, { bins: 1, priorCount: -1 })).toThrow();
    expect(() => new QualityCalibration(2, { bins: 1, priorCount: 0 }).applyInPlace(new Float64Array(3))).toThrow();
  });
});
