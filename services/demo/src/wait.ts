// Waiting until every submitted request is accounted for: routed (a decision in Postgres) or
// dead-lettered (a rejected request has a decision row and a dead letter, so it is counted by
// its dead letter, once; a record that never became a decision has a dead letter only), and, when the outcome loop runs, every routed request has an
// outcome. Deferred requests are still in flight (they come back when their window resets).
export interface Accounting {
  readonly routed: number;
  readonly deferred: number;
  readonly rejected: number;
  readonly deadLettered: number;
  /** null when no outcome loop runs. */
  readonly outcomes: number | null;
}

export function accountedFor(a: Accounting): number {
  return a.routed + a.deadLettered;
}

export function isSettled(a: Accounting, expected: number): boolean {
  return accountedFor(a) >= expected && (a.outcomes === null || a.outcomes >= a.routed);
}

export interface WaitOptions {
  readonly expected: number;
  readonly read: () => Promise<Accounting>;
  readonly timeoutMs: number;
  readonly pollMs: number;
  readonly clock: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly onSample?: (a: Accounting) => void;
  /** Checked between polls: the demo was interrupted. */
  readonly cancelled?: () => boolean;
}

export type WaitResult =
  | { readonly kind: 'settled'; readonly last: Accounting }
  | { readonly kind: 'timed_out'; readonly last: Accounting }
  | { readonly kind: 'cancelled'; readonly last: Accounting };

export async function waitUntilAccounted(opts: WaitOptions): Promise<WaitResult> {
  const deadline = opts.clock() + opts.timeoutMs;
  for (;;) {
    const last = await opts.read();
    opts.onSample?.(last);
    if (isSettled(last, opts.expected)) return { kind: 'settled', last };
    if (opts.cancelled?.() === true) return { kind: 'cancelled', last };
    if (opts.clock() >= deadline) return { kind: 'timed_out', last };
    await opts.sleep(opts.pollMs);
  }
}
