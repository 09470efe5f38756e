// Failure clocks, one per dependency a service talks to. The code that talks to a dependency
// reports each success and failure; a clock remembers since when its dependency has been
// failing with no success in between. Readiness and the exit after a long outage are read off
// the clocks, so a service that cannot reach Kafka, the registry or Postgres stops claiming to
// be ready instead of sitting up, idle and "ready" forever.
//
// Several parts of a service may talk to one dependency (a router's two consumer groups, an
// executor's group per model): each reports as a source of its own, and the dependency is
// failing while any of its sources is, since the earliest of them. One part's successes then
// cannot hide another part's outage.
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
  lastFailedMs?: number;
}

function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

export class DependencyHealth {
  readonly readyFailureMs: number;
  readonly maxFailureDurationMs: number | undefined;
  readonly #clock: () => number;
  /** Per dependency, a clock per source. */
  readonly #clocks = new Map<Dependency, Map<string, Clock>>(DEPENDENCIES.map((d) => [d, new Map()]));

  constructor(options: DependencyHealthOptions) {
    if (!(options.readyFailureMs > 0)) throw new RangeError('readyFailureMs must be positive');
    if (options.maxFailureDurationMs !== undefined && !(options.maxFailureDurationMs > 0)) throw new RangeError('maxFailureDurationMs must be positive');
    this.readyFailureMs = options.readyFailureMs;
    this.maxFailureDurationMs = options.maxFailureDurationMs;
    this.#clock = options.clock ?? Date.now;
  }

  /** A reporter for one part of the service (`source`) that talks to `dependency`. */
  reporter(dependency: Dependency, source = ''): DependencyReporter {
    const sources = this.#clocks.get(dependency)!;
    let clock = sources.get(source);
    if (clock === undefined) {
      clock = { since: null, lastError: '' };
      sources.set(source, clock);
    }
    const c = clock;
    return {
      succeeded: () => {
        c.since = null;
      },
      failed: (error) => {
        c.since ??= this.#clock();
        c.lastError = describeError(error);
        c.lastFailedMs = this.#clock();
      },
    };
  }

  /** Every dependency failing now, longest first. */
  failing(): FailingDependency[] {
    const now = this.#clock();
    const out: FailingDependency[] = [];
    for (const dependency of DEPENDENCIES) {
      const c = this.#combined(dependency);
      if (c !== null) out.push({ dependency, failingSinceMs: c.since, failingForMs: Math.max(0, now - c.since), lastError: c.lastError });
    }
    return out.sort((a, b) => b.failingForMs - a.failingForMs);
  }

  /** Seconds `dependency` has been failing; 0 while healthy. */
  failingSeconds(dependency: Dependency): number {
    const c = this.#combined(dependency);
    return c === null ? 0 : Math.max(0, this.#clock() - c.since) / 1_000;
  }

  /** The earliest start among the failing sources, with the latest error; null when none fails. */
  #combined(dependency: Dependency): { since: number; lastError: string } | null {
    let since: number | null = null;
    let lastError = '';
    let lastAt = -Infinity;
    for (const c of this.#clocks.get(dependency)!.values()) {
      if (c.since === null) continue;
      since = since === null ? c.since : Math.min(since, c.since);
      if ((c.lastFailedMs ?? -Infinity) >= lastAt) {
        lastAt = c.lastFailedMs ?? -Infinity;
        lastError = c.lastError;
      }
    }
    return since === null ? null : { since, lastError };
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
