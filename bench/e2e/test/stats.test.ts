import { describe, expect, it } from 'vitest';
import { latencySummary, percentileSorted, sortedFinite, throughputSummary } from '../stats.ts';

describe('percentileSorted', () => {
  it('takes the nearest rank', () => {
    const v = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentileSorted(v, 50)).toBe(50);
    expect(percentileSorted(v, 99)).toBe(99);
    expect(percentileSorted(v, 100)).toBe(100);
    expect(percentileSorted(v, 0)).toBe(1);
    expect(percentileSorted([7], 99)).toBe(7);
    expect(Number.isNaN(percentileSorted([], 50))).toBe(true);
  });
});

describe('sortedFinite', () => {
  it('drops NaN and sorts numerically', () => {
    expect(Array.from(sortedFinite([10, Number.NaN, 2, 33, 1]))).toEqual([1, 2, 10, 33]);
  });
});

describe('latencySummary', () => {
  it('subtracts submit from visible time per request and skips requests without both', () => {
    const submitted = Float64Array.from([0, 10, 20, Number.NaN, 40]);
    const visible = Float64Array.from([100, 210, 320, 400, Number.NaN]);
    const s = latencySummary(submitted, visible);
    expect(s.count).toBe(3);
    expect(s.p50Ms).toBe(200);
    expect(s.p99Ms).toBe(300);
    expect(s.maxMs).toBe(300);
    expect(s.meanMs).toBe(200);
  });
});

describe('throughputSummary', () => {
  it('divides requests by first submit to last arrival, and the middle by its own span', () => {
    // 11 arrivals at 1000, 1100, ..., 2000 ms; first submit at 0.
    const visible = Float64Array.from({ length: 11 }, (_, i) => 1_000 + 100 * i);
    const t = throughputSummary(0, visible, 0.1, 0.9);
    expect(t.elapsedMs).toBe(2_000);
    expect(t.firstVisibleAfterMs).toBe(1_000);
    expect(t.requestsPerSec).toBeCloseTo(5.5, 9);
    // quantile indices 1 and 9: 8 requests in 800 ms.
    expect(t.steady.requests).toBe(8);
    expect(t.steady.elapsedMs).toBe(800);
    expect(t.steady.requestsPerSec).toBeCloseTo(10, 9);
  });
});
