import { describe, expect, it } from 'vitest';
import { ExactlyOnceChecker, requestIndexOf } from '../checker.ts';

describe('requestIndexOf', () => {
  it('maps <job>-L<line> to the 0-based line index', () => {
    expect(requestIndexOf('job-a-L1', 'job-a', 10)).toBe(0);
    expect(requestIndexOf('job-a-L10', 'job-a', 10)).toBe(9);
  });

  it('refuses ids of another job, out of range, or not a plain line number', () => {
    expect(requestIndexOf('job-b-L1', 'job-a', 10)).toBe(-1);
    expect(requestIndexOf('job-a-L11', 'job-a', 10)).toBe(-1);
    expect(requestIndexOf('job-a-L0', 'job-a', 10)).toBe(-1);
    expect(requestIndexOf('job-a-L01', 'job-a', 10)).toBe(-1);
    expect(requestIndexOf('job-a-L1x', 'job-a', 10)).toBe(-1);
    expect(requestIndexOf('job-a-L', 'job-a', 10)).toBe(-1);
  });
});

describe('ExactlyOnceChecker', () => {
  it('passes when every request arrives once in a terminal topic', () => {
    const c = new ExactlyOnceChecker(17);
    for (let i = 0; i < 17; i++) c.record(i, i % 5 === 0 ? 'dead-letter' : 'routed', 1_000 + i);
    const s = c.summary();
    expect(s).toMatchObject({ expected: 17, delivered: 17, missing: 0, duplicates: 0, foreign: 0, routed: 13, deadLettered: 4, exactlyOnce: true });
    expect(c.visibleAtMs[3]).toBe(1_003);
  });

  it('counts a second arrival as a duplicate and keeps the first arrival time', () => {
    const c = new ExactlyOnceChecker(3);
    c.record(0, 'routed', 10);
    c.record(1, 'routed', 11);
    c.record(2, 'routed', 12);
    c.record(1, 'dead-letter', 99);
    const s = c.summary();
    expect(s.duplicates).toBe(1);
    expect(s.exactlyOnce).toBe(false);
    expect(c.visibleAtMs[1]).toBe(11);
  });

  it('reports missing requests, and deferrals do not count as delivery', () => {
    const c = new ExactlyOnceChecker(10);
    for (let i = 0; i < 10; i++) if (i !== 3 && i !== 8) c.record(i, 'routed', 1);
    c.record(3, 'deferred', 1);
    const s = c.summary();
    expect(s.missing).toBe(2);
    expect(s.deferrals).toBe(1);
    expect(s.exactlyOnce).toBe(false);
    expect(c.missingSample(5)).toEqual([3, 8]);
    expect(Number.isNaN(c.visibleAtMs[3]!)).toBe(true);
  });

  it('counts ids outside the job as foreign, which fails the check', () => {
    const c = new ExactlyOnceChecker(1);
    c.record(0, 'routed', 1);
    c.record(-1, 'routed', 1);
    c.record(5, 'routed', 1);
    expect(c.summary()).toMatchObject({ delivered: 1, foreign: 2, exactlyOnce: false });
  });
});
