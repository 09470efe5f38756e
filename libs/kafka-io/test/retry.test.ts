import { describe, expect, it } from 'vitest';
import { backoffDelayMs, sleep, withRetry } from '../src/retry.ts';

const opts = { initialDelayMs: 100, maxDelayMs: 1_000, maxRetries: 3 };

describe('backoffDelayMs', () => {
  it('grows exponentially up to the cap (full jitter upper bound)', () => {
    const top = () => 0.999999;
    expect([0, 1, 2, 3, 4, 10, 2000].map((a) => backoffDelayMs(a, opts, top))).toEqual([99, 199, 399, 799, 999, 999, 999]);
  });

  it('spreads delays over [0, ceiling)', () => {
    expect(backoffDelayMs(2, opts, () => 0)).toBe(0);
    expect(backoffDelayMs(2, opts, () => 0.5)).toBe(200);
  });
});

describe('withRetry', () => {
  const noSleep = (): Promise<void> => Promise.resolve();

  it('retries retriable errors and returns the first success', async () => {
    let calls = 0;
    const delays: number[] = [];
    const result = await withRetry(
      async () => {
        calls++;
        if (calls < 3) throw new Error('transient');
        return 'ok';
      },
      { ...opts, isRetriable: () => true, sleep: noSleep, random: () => 0.5, onRetry: (_e, _a, d) => delays.push(d) },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
    expect(delays).toEqual([50, 100]);
  });

  it('does not retry a non-retriable error', async () => {
    let calls = 0;
    await expect(
      withRetry(async () => {
        calls++;
        throw new Error('fatal');
      }, { ...opts, isRetriable: () => false, sleep: noSleep }),
    ).rejects.toThrow('fatal');
    expect(calls).toBe(1);
  });

  it('gives up after maxRetries retries with the last error', async () => {
    let calls = 0;
    await expect(
      withRetry(async () => {
        calls++;
        throw new Error(`attempt ${calls}`);
      }, { ...opts, isRetriable: () => true, sleep: noSleep }),
    ).rejects.toThrow('attempt 4');
    expect(calls).toBe(4);
  });

  it('stops retrying once the signal aborts', async () => {
    const controller = new AbortController();
    let calls = 0;
    await expect(
      withRetry(async () => {
        calls++;
        controller.abort();
        throw new Error('x');
      }, { ...opts, isRetriable: () => true, sleep: noSleep, signal: controller.signal }),
    ).rejects.toThrow('x');
    expect(calls).toBe(1);
  });
});

describe('sleep', () => {
  it('returns early when aborted', async () => {
    const controller = new AbortController();
    const pending = sleep(60_000, controller.signal);
    controller.abort();
    await expect(pending).resolves.toBeUndefined();
  });
});
