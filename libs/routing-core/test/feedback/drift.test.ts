import { describe, expect, it } from 'vitest';
import { CostCorrection, createRng, QualityDrift } from '../../src/index.ts';

const OPTIONS = { discount: 0.95, priorCount: 5, delta: 0.1, threshold: 8, minSamples: 20 };

/** Residuals of a 0/1 outcome against a fixed estimate: mean p - estimate. */
function residual(rng: () => number, p: number, estimate: number): number {
  return (rng() < p ? 1 : 0) - estimate;
}

describe('QualityDrift', () => {
  it('corrects nothing while the residual level holds, whatever that level is (winner\'s curse)', () => {
    const rng = createRng(3);
    const d = new QualityDrift(2, OPTIONS);
    // Model 0 is always 0.15 below its estimate, model 1 on it: neither has changed.
    for (let t = 0; t < 2000; t++) {
      d.observe(0, residual(rng, 0.6, 0.75));
      d.observe(1, residual(rng, 0.7, 0.7));
    }
    expect(d.alarms(0) + d.alarms(1)).toBeLessThanOrEqual(1);
    expect(Math.abs(d.correction(0))).toBeLessThan(0.1);
    expect(Math.abs(d.correction(1))).toBeLessThan(0.1);
  });

  it('detects a fall within a few dozen outcomes and shifts the estimate by the change, not by the level', () => {
    const rng = createRng(5);
    const d = new QualityDrift(1, OPTIONS);
    for (let t = 0; t < 300; t++) d.observe(0, residual(rng, 0.65, 0.75));
    expect(d.alarms(0)).toBe(0);
    expect(d.correction(0)).toBe(0);
    let detectedAfter = -1;
    for (let t = 1; t <= 200; t++) {
      d.observe(0, residual(rng, 0.3, 0.75));
      if (detectedAfter < 0 && d.alarms(0) > 0) detectedAfter = t;
    }
    expect(detectedAfter).toBeGreaterThan(0);
    expect(detectedAfter).toBeLessThanOrEqual(40);
    // The quality fell by 0.35; the correction approaches -0.35 (shrunk by 5 of ~20 discounted outcomes).
    expect(d.correction(0)).toBeLessThan(-0.2);
    expect(d.correction(0)).toBeGreaterThan(-0.5);
  });

  it('rejects options outside their ranges and models out of range', () => {
    expect(() => new QualityDrift(1, { ...OPTIONS, discount: 0 })).toThrow(/discount/);
    expect(() => new QualityDrift(1, { ...OPTIONS, threshold: 0 })).toThrow(/threshold/);
    expect(() => new QualityDrift(1, OPTIONS).observe(1, 0)).toThrow(/out of range/);
  });
});

describe('CostCorrection with forgetting', () => {
  it('a discounted ratio follows a price change within a few dozen outcomes; the cumulative one does not', () => {
    const fast = new CostCorrection(1, { priorCount: 5, discount: 0.95 });
    const slow = new CostCorrection(1, { priorCount: 5 });
    for (let t = 0; t < 500; t++) for (const c of [fast, slow]) c.observe('cost', 0, 1, 1);
    for (let t = 0; t < 60; t++) for (const c of [fast, slow]) c.observe('cost', 0, 1, 3);
    expect(fast.ratio('cost', 0)).toBeGreaterThan(2.5);
    expect(slow.ratio('cost', 0)).toBeLessThan(1.4);
  });

  it('relative: a factor common to every model is left to the policy, one model moving against the others is corrected', () => {
    const c = new CostCorrection(4, { priorCount: 0, relative: true });
    for (let m = 0; m < 4; m++) c.observe('cost', m, 1, m === 3 ? 3.6 : 1.2);
    expect(c.factor('cost', 0)).toBeCloseTo(1, 12);
    expect(c.factor('cost', 3)).toBeCloseTo(3, 12);
    const cells = Float64Array.from([1, 1, 1, 1]);
    c.applyInPlace('cost', cells);
    expect([...cells].map((v) => Number(v.toFixed(9)))).toEqual([1, 1, 1, 3]);
  });
});
