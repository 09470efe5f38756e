// Failure clocks, one per dependency a service talks to. The code that talks to a dependency
// reports each success and failure; a clock remembers since when its dependency has been
// failing with no success in between. Readiness and the exit after a long outage are read off
// the clocks, so a service that cannot reach Kafka, the registry or Postgres stops claiming to
// be ready instead of sitting up, idle and "ready" forever.
//
// A clock is only as fresh as the reports: a dependency nobody calls cannot fail. Every
// service keeps calling what it depends on while it is failing (the runner's retries, the
// lease heartbeat, the feedback poller), so an outage keeps its clock running and the first
// success after it stops the clock.

export const DEPENDENCIES = ['kafka', 'registry', 'postgres'] as const;
export type Dependency = (typeof DEPENDENCIES)[number];

/** What code that talks to one dependency tells its clock. */
export interface DependencyReporter {
  /** The dependency answered (an answer that is an error of the caller's own making counts). */
  succeeded(): void;
  /** The dependency could not be reached or could not serve. */
  failed(error: unknown): void;
}

export interface FailingDependency {
  readonly dependency: Dependency;
  /** Epoch ms of the first failure since the last success. */
  readonly failingSinceMs: number;
  readonly failingForMs: number;
  /** The latest failure, as `name: message`. */
  readonly lastError: string;
}

export interface DependencyHealthOptions {
  /** Not ready once a dependency has been failing longer than this (config ops.readyFailureMs). */
  readonly readyFailureMs: number;
  /** Exit after a dependency has been failing this long (config ops.maxFailureDurationMs); undefined: never. */
  readonly maxFailureDurationMs?: number | undefined;
  readonly clock?: () => number;
}

interface Clock {
  since: number | null;
  lastError: string;
}

function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

export class DependencyHealth {
  readonly readyFailureMs: number;
  readonly maxFailureDurationMs: number | undefined;
  readonly #clock: () => number;
  readonly #clocks = new Map<Dependency, Clock>(DEPENDENCIES.map((d) => [d, { since: null, lastError: '' }]));

  constructor(options: DependencyHealthOptions) {
    if (!(options.readyFailureMs > 0)) throw new RangeError('readyFailureMs must be positive');
    if (options.maxFailureDurationMs !== undefined && !(options.maxFailureDurationMs > 0)) throw new RangeError('maxFailureDurationMs must be positive');
    this.readyFailureMs = options.readyFailureMs;
    this.maxFailureDurationMs = options.maxFailureDurationMs;
    this.#clock = options.clock ?? Date.now;
  }

  reporter(dependency: Dependency): DependencyReporter {
    const clock = this.#clocks.get(dependency)!;
    return {
      succeeded: () => {
        clock.since = null;
      },
      failed: (error) => {
        clock.since ??= this.#clock();
        clock.lastError = describeError(error);
      },
    };
  }

  /** Every dependency failing now, longest first. */
  failing(): FailingDependency[] {
    const now = this.#clock();
    const out: FailingDependency[] = [];
    for (const [dependency, c] of this.#clocks) {
      if (c.since !== null) out.push({ dependency, failingSinceMs: c.since, failingForMs: Math.max(0, now - c.since), lastError: c.lastError });
    }
    return out.sort((a, b) => b.failingForMs - a.failingForMs);
  }

  /** Seconds `dependency` has been failing; 0 while healthy. */
  failingSeconds(dependency: Dependency): number {
    const since = this.#clocks.get(dependency)!.since;
    return since === null ? 0 : Math.max(0, this.#clock() - since) / 1_000;
  }

  /** Dependencies failing for longer than readyFailureMs; empty means ready as far as dependencies go. */
  notReadyBecause(): FailingDependency[] {
    return this.failing().filter((f) => f.failingForMs > this.readyFailureMs);
  }

  ready(): boolean {
    return this.notReadyBecause().length === 0;
  }

  /** The dependency failing for longer than maxFailureDurationMs, if any (the longest). */
  exceeded(): FailingDependency | null {
    const max = this.maxFailureDurationMs;
    if (max === undefined) return null;
    return this.failing().find((f) => f.failingForMs >= max) ?? null;
  }
}
