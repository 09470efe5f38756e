import { describe, expect, it } from 'vitest';
import { RateLimiter, Semaphore, TokenBucket } from '../src/rate-limit.ts';

describe('TokenBucket', () => {
  it('serves a minute\'s worth at once, then spaces reservations at the refill rate', () => {
    const b = new TokenBucket(60, 0); // one per second
    for (let i = 0; i < 60; i++) expect(b.reserve(1, 0)).toBe(0);
    expect(b.reserve(1, 0)).toBe(1_000);
    expect(b.reserve(1, 0)).toBe(2_000);
    // time passes: the debt shrinks
    expect(b.reserve(1, 2_500)).toBe(500);
  });
  it('refills no higher than one minute\'s worth', () => {
    const b = new TokenBucket(10, 0);
    expect(b.reserve(10, 0)).toBe(0);
    expect(b.reserve(10, 10 * 60_000)).toBe(0);
    expect(b.reserve(1, 10 * 60_000)).toBe(6_000);
  });
  it('caps one oversized reservation at the bucket size so it is eventually served', () => {
    const b = new TokenBucket(100, 0);
    expect(b.reserve(1_000, 0)).toBe(0);
    expect(b.reserve(100, 0)).toBe(60_000);
  });
});

describe('RateLimiter', () => {
  it('waits for the stricter of the request and token limits', () => {
    const r = new RateLimiter({ requestsPerMinute: 120, tokensPerMinute: 600 }, 0);
    expect(r.reserve(300, 0)).toBe(0);
    expect(r.reserve(300, 0)).toBe(0);
    // tokens: 300 in debt at 10/s = 30 s; requests: plenty
    expect(r.reserve(300, 0)).toBe(30_000);
    const unlimited = new RateLimiter({ requestsPerMinute: null, tokensPerMinute: null }, 0);
    expect(unlimited.reserve(1e9, 0)).toBe(0);
  });
});

describe('Semaphore', () => {
  it('lets `permits` holders in and the next waiter in when one releases, in order', async () => {
    const s = new Semaphore(2);
    const order: string[] = [];
    const a = await s.acquire();
    const b = await s.acquire();
    const c = s.acquire().then((rel) => (order.push('c'), rel));
    const d = s.acquire().then((rel) => (order.push('d'), rel));
    await Promise.resolve();
    expect(order).toEqual([]);
    a();
    a(); // releasing twice frees one permit only
    const relC = await c;
    expect(order).toEqual(['c']);
    b();
    await d;
    expect(order).toEqual(['c', 'd']);
    relC();
  });
});
