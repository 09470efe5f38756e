import { describe, expect, it } from 'vitest';
import { isSettled, waitUntilAccounted } from '../src/wait.ts';
import type { Accounting } from '../src/wait.ts';

const zero: Accounting = { routed: 0, deferred: 0, rejected: 0, deadLettered: 0, outcomes: null };

describe('waiting for every request to be accounted for', () => {
  it('counts routed, rejected and dead-lettered; deferred requests are still in flight', () => {
    expect(isSettled({ ...zero, routed: 8, rejected: 1, deadLettered: 2 }, 10)).toBe(true);
    // A rejection is a decision row and a dead letter: counted once, so 9 of 10 are not settled.
    expect(isSettled({ ...zero, routed: 8, rejected: 1, deadLettered: 1 }, 10)).toBe(false);
    expect(isSettled({ ...zero, routed: 8, deferred: 2 }, 10)).toBe(false);
  });

  it('with the outcome loop, also waits for an outcome per routed request', () => {
    expect(isSettled({ ...zero, routed: 10, outcomes: 9 }, 10)).toBe(false);
    expect(isSettled({ ...zero, routed: 10, outcomes: 10 }, 10)).toBe(true);
  });

  it('polls until settled, on an injected clock', async () => {
    const samples: Accounting[] = [
      { ...zero },
      { ...zero, routed: 4, deferred: 6 },
      { ...zero, routed: 9, rejected: 1, deadLettered: 1 },
    ];
    let now = 0;
    let reads = 0;
    const r = await waitUntilAccounted({
      expected: 10,
      read: async () => samples[Math.min(reads++, samples.length - 1)]!,
      timeoutMs: 10_000,
      pollMs: 500,
      clock: () => now,
      sleep: async (ms) => {
        now += ms;
      },
    });
    expect(r).toEqual({ kind: 'settled', last: samples[2] });
    expect(reads).toBe(3);
  });

  it('gives up at the deadline with the last counts, and stops when cancelled', async () => {
    let now = 0;
    const stuck = { ...zero, routed: 3 };
    const opts = {
      expected: 10,
      read: async () => stuck,
      timeoutMs: 2_000,
      pollMs: 500,
      clock: () => now,
      sleep: async (ms: number) => {
        now += ms;
      },
    };
    expect(await waitUntilAccounted(opts)).toEqual({ kind: 'timed_out', last: stuck });
    now = 0;
    expect(await waitUntilAccounted({ ...opts, cancelled: () => true })).toEqual({ kind: 'cancelled', last: stuck });
  });
});
