// The lifecycle every service process shares: read the JSON config file, split off the
// service's own section, run until done, stop gracefully on SIGTERM / SIGINT, and turn the
// result into an exit code. Only entry points (main.ts) call these; they own process state.
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { DependencyHealth } from './dependency-health.ts';

export interface ConfigFileParts {
  /** The shared switchyard configuration (everything but the service's section). */
  readonly shared: Record<string, unknown>;
  /** The service's own section, `undefined` when absent. */
  readonly section: unknown;
}

/** Reads `path` (when given) as JSON and splits off `sectionKey`. */
export async function readConfigFile(path: string | undefined, sectionKey: string): Promise<ConfigFileParts> {
  const file = path === undefined ? {} : (JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>);
  const { [sectionKey]: section, ...shared } = file;
  return { shared, section };
}

export interface RunningService {
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

export interface RunUntilStoppedOptions {
  readonly name: string;
  /**
   * When set, a stop that has not finished after this long exits the process with code 1: a
   * broker that never answers must not keep it forever (the transactions it could not finish
   * are aborted by the broker and re-read by the next owner).
   */
  readonly shutdownTimeoutMs?: number;
  /**
   * Failure clocks with a maxFailureDurationMs: once a dependency has been failing that long the
   * service is stopped and the process exits with code 1, so that an orchestrator restarts it
   * (a fresh process re-resolves addresses, reconnects and rejoins from scratch).
   */
  readonly health?: DependencyHealth;
  /** How often the clocks are read against maxFailureDurationMs (default 1000). */
  readonly healthCheckIntervalMs?: number;
}

/** Stop bound when giving up on a dependency without a shutdownTimeoutMs: the stop itself may wait on it. */
const GIVE_UP_STOP_TIMEOUT_MS = 30_000;

/**
 * Waits for the service to end; SIGTERM / SIGINT ask it to stop. Resolves to the exit code: 0
 * after a clean stop, 1 after a fatal error or after giving up on a failing dependency.
 */
export async function runUntilStopped(service: RunningService, log: Logger, opts: RunUntilStoppedOptions): Promise<number> {
  const forceExitAfter = (timeoutMs: number): void => {
    const force = setTimeout(() => {
      log.error({ timeoutMs }, 'graceful shutdown timed out; exiting');
      process.exit(1);
    }, timeoutMs);
    force.unref();
  };
  const stopService = (): void => {
    service.stop().catch((err: unknown) => log.error({ err }, 'shutdown failed'));
  };
  const stopOn = (signal: NodeJS.Signals): void => {
    log.info({ signal }, 'shutdown requested');
    if (opts.shutdownTimeoutMs !== undefined) forceExitAfter(opts.shutdownTimeoutMs);
    stopService();
  };
  let gaveUp = false;
  const watchdog = watchDependencies(opts, (failing) => {
    gaveUp = true;
    log.error(
      { dependency: failing.dependency, failingForMs: failing.failingForMs, maxFailureDurationMs: opts.health?.maxFailureDurationMs, lastError: failing.lastError },
      `${failing.dependency} has been failing for longer than ops.maxFailureDurationMs; stopping and exiting with code 1 so that the orchestrator restarts ${opts.name}`,
    );
    forceExitAfter(opts.shutdownTimeoutMs ?? GIVE_UP_STOP_TIMEOUT_MS);
    stopService();
  });
  process.once('SIGTERM', stopOn);
  process.once('SIGINT', stopOn);
  try {
    await service.done;
    if (gaveUp) {
      log.error({ exitCode: 1 }, `${opts.name} process exiting: a dependency failed for too long`);
      return 1;
    }
    // The service logs its own stop (with what it finished); repeating "stopped" here made
    // every graceful stop of the router read as two.
    log.info({ exitCode: 0 }, `${opts.name} process exiting`);
    return 0;
  } catch (err) {
    log.error({ err }, `${opts.name} stopped on a fatal error`);
    return 1;
  } finally {
    if (watchdog !== null) clearInterval(watchdog);
    process.off('SIGTERM', stopOn);
    process.off('SIGINT', stopOn);
  }
}

/** Calls `giveUp` once, when a dependency has been failing for maxFailureDurationMs; null when that is off. */
function watchDependencies(opts: RunUntilStoppedOptions, giveUp: (failing: NonNullable<ReturnType<DependencyHealth['exceeded']>>) => void): NodeJS.Timeout | null {
  const health = opts.health;
  if (health?.maxFailureDurationMs === undefined) return null;
  const timer = setInterval(() => {
    const failing = health.exceeded();
    if (failing === null) return;
    clearInterval(timer);
    giveUp(failing);
  }, opts.healthCheckIntervalMs ?? 1_000);
  timer.unref();
  return timer;
}

/** Runs an entry point and sets the exit code; startup failures happen before a logger exists. */
export function runMain(main: () => Promise<number>): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
