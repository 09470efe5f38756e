// Client-side limits per model: calls in flight (a semaphore) and requests and tokens per minute
// (token buckets). The buckets are pure over an injected clock: `reserve` books capacity and
// says how long to wait for it, so waiting callers are served in arrival order and the rate
// holds without polling.

/** A bucket of `perMinute` units that refills continuously; a reservation may run it into debt. */
export class TokenBucket {
  readonly perMinute: number;
  #level: number;
  #atMs: number;

  constructor(perMinute: number, nowMs: number) {
    if (!(perMinute > 0)) throw new RangeError(`perMinute must be positive, got ${perMinute}`);
    this.perMinute = perMinute;
    this.#level = perMinute;
    this.#atMs = nowMs;
  }

  /** Books `amount` units and returns the ms until they are available (0: now). */
  reserve(amount: number, nowMs: number): number {
    const ratePerMs = this.perMinute / 60_000;
    this.#level = Math.min(this.perMinute, this.#level + Math.max(0, nowMs - this.#atMs) * ratePerMs);
    this.#atMs = Math.max(this.#atMs, nowMs);
    // More than a minute's worth in one call could never be served; it waits for a full bucket.
    this.#level -= Math.min(amount, this.perMinute);
    return this.#level >= 0 ? 0 : Math.ceil(-this.#level / ratePerMs);
  }
}

/** Counting semaphore with a FIFO queue. */
export class Semaphore {
  #free: number;
  readonly #waiting: Array<() => void> = [];

  constructor(permits: number) {
    if (!(permits >= 1)) throw new RangeError(`permits must be at least 1, got ${permits}`);
    this.#free = permits;
  }

  async acquire(): Promise<() => void> {
    if (this.#free > 0) {
      this.#free -= 1;
    } else {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next !== undefined) next();
      else this.#free += 1;
    };
  }
}

export interface RateLimits {
  readonly requestsPerMinute: number | null;
  readonly tokensPerMinute: number | null;
}

/** Both per-minute limits of one model; `reserve` returns the longer of the two waits. */
export class RateLimiter {
  readonly #requests: TokenBucket | null;
  readonly #tokens: TokenBucket | null;

  constructor(limits: RateLimits, nowMs: number) {
    this.#requests = limits.requestsPerMinute === null ? null : new TokenBucket(limits.requestsPerMinute, nowMs);
    this.#tokens = limits.tokensPerMinute === null ? null : new TokenBucket(limits.tokensPerMinute, nowMs);
  }

  reserve(tokens: number, nowMs: number): number {
    return Math.max(this.#requests?.reserve(1, nowMs) ?? 0, this.#tokens?.reserve(tokens, nowMs) ?? 0);
  }
}
