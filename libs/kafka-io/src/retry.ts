// The one retry module: exponential backoff with full jitter ("Exponential Backoff And
// Jitter", AWS Architecture Blog, 2015): delay = random(0, min(max, initial * 2^attempt)).
// Full jitter spreads retries of many router instances that failed together.

export interface BackoffOptions {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxRetries: number;
}

/** Delay before retry number `attempt` (0-based); `random` in [0, 1) is injected for tests. */
export function backoffDelayMs(attempt: number, options: Pick<BackoffOptions, 'initialDelayMs' | 'maxDelayMs'>, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** Math.min(attempt, 52));
  return Math.floor(random() * ceiling);
}

/** Resolves after `ms`, or early (without throwing) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true || ms <= 0) {
      resolve();
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface RetryOptions extends BackoffOptions {
  /** Decides whether an error is worth another attempt. */
  readonly isRetriable: (err: unknown) => boolean;
  readonly signal?: AbortSignal;
  readonly random?: () => number;
  readonly onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Runs `fn` until it succeeds, a non-retriable error occurs, retries run out or `signal` aborts. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const wait = options.sleep ?? sleep;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= options.maxRetries || !options.isRetriable(err) || options.signal?.aborted === true) throw err;
      const delayMs = backoffDelayMs(attempt, options, options.random);
      options.onRetry?.(err, attempt, delayMs);
      await wait(delayMs, options.signal);
    }
  }
}
