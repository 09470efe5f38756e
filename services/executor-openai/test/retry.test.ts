import { describe, expect, it } from 'vitest';
import { backoffDelayMs, classifyStatus, parseRetryAfterMs, retryDelayMs } from '../src/retry.ts';

describe('classifyStatus', () => {
  it.each([
    [200, 'success'], [201, 'success'], [408, 'retriable'], [409, 'retriable'], [429, 'retriable'], [500, 'retriable'], [502, 'retriable'], [503, 'retriable'],
    [400, 'permanent'], [401, 'permanent'], [403, 'permanent'], [404, 'permanent'], [413, 'permanent'], [422, 'permanent'],
  ] as const)('%d is %s', (status, cls) => {
    expect(classifyStatus(status)).toBe(cls);
  });
});

describe('parseRetryAfterMs', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it('reads delay-seconds, fractional seconds and zero', () => {
    expect(parseRetryAfterMs('3', now)).toBe(3_000);
    expect(parseRetryAfterMs(' 0.25 ', now)).toBe(250);
    expect(parseRetryAfterMs('0', now)).toBe(0);
  });
  it('reads an HTTP-date relative to now, and a past date as 0', () => {
    expect(parseRetryAfterMs('Thu, 01 Jan 2026 00:00:07 GMT', now)).toBe(7_000);
    expect(parseRetryAfterMs('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0);
  });
  it('ignores absent and unreadable values', () => {
    expect(parseRetryAfterMs(null, now)).toBeNull();
    expect(parseRetryAfterMs('', now)).toBeNull();
    expect(parseRetryAfterMs('-1', now)).toBeNull();
    expect(parseRetryAfterMs('soon', now)).toBeNull();
    expect(parseRetryAfterMs('1e3', now)).toBeNull();
  });
});

describe('backoff with full jitter', () => {
  const s = { baseDelayMs: 100, maxDelayMs: 1_000 };
  it('doubles the cap per retry up to maxDelayMs and draws below it', () => {
    expect([1, 2, 3, 4, 5, 10].map((r) => backoffDelayMs(r, s, () => 0.999999))).toEqual([99, 199, 399, 799, 999, 999]);
    expect(backoffDelayMs(3, s, () => 0)).toBe(0);
    expect(backoffDelayMs(3, s, () => 0.5)).toBe(200);
  });
  it('prefers the server\'s Retry-After over the backoff', () => {
    expect(retryDelayMs(1, 5_000, s, () => 0.5)).toBe(5_000);
    expect(retryDelayMs(2, null, s, () => 0.5)).toBe(100);
  });
});
