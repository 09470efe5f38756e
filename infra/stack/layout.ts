import { join } from 'node:path';
import type { StackConfig } from './config.ts';

export type Component = 'kafka' | 'registry' | 'postgres';
export const components: readonly Component[] = ['kafka', 'registry', 'postgres'];

/** Where everything the stack writes lives, all under one git-ignored folder. */
export interface Layout {
  readonly stateDir: string;
  readonly cacheDir: string;
  readonly runDir: string;
  readonly logsDir: string;
  readonly lockFile: string;
  pidFile(component: Component): string;
  logFile(component: Component): string;
  /** stdout/stderr of the process, for crashes before its own logging is up. */
  consoleFile(component: Component): string;
  dataDir(component: Component): string;
  configDir(component: Component): string;
}

export function layoutOf(config: StackConfig): Layout {
  const stateDir = config.stateDir;
  return {
    stateDir,
    cacheDir: join(stateDir, 'cache'),
    runDir: join(stateDir, 'run'),
    logsDir: join(stateDir, 'logs'),
    lockFile: join(stateDir, 'run', 'stack.lock'),
    pidFile: (c) => join(stateDir, 'run', `${c}.pid`),
    logFile: (c) => join(stateDir, 'logs', `${c}.log`),
    consoleFile: (c) => join(stateDir, 'logs', `${c}.out`),
    dataDir: (c) => join(stateDir, 'data', c),
    configDir: (c) => join(stateDir, 'config', c),
  };
}
