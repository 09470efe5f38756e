// The lifecycle every service process shares: read the JSON config file, split off the
// service's own section, run until done, stop gracefully on SIGTERM / SIGINT, and turn the
// result into an exit code. Only entry points (main.ts) call these; they own process state.
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';

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
}

/** Waits for the service to end; SIGTERM / SIGINT ask it to stop. Resolves to the exit code. */
export async function runUntilStopped(service: RunningService, log: Logger, opts: RunUntilStoppedOptions): Promise<number> {
  const stopOn = (signal: NodeJS.Signals): void => {
    log.info({ signal }, 'shutdown requested');
    if (opts.shutdownTimeoutMs !== undefined) {
      const timeoutMs = opts.shutdownTimeoutMs;
      const force = setTimeout(() => {
        log.error({ timeoutMs }, 'graceful shutdown timed out; exiting');
        process.exit(1);
      }, timeoutMs);
      force.unref();
    }
    service.stop().catch((err: unknown) => log.error({ err }, 'shutdown failed'));
  };
  process.once('SIGTERM', stopOn);
  process.once('SIGINT', stopOn);
  try {
    await service.done;
    // The service logs its own stop (with what it finished); repeating "stopped" here made
    // every graceful stop of the router read as two.
    log.info({ exitCode: 0 }, `${opts.name} process exiting`);
    return 0;
  } catch (err) {
    log.error({ err }, `${opts.name} stopped on a fatal error`);
    return 1;
  }
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
