import { spawn } from 'node:child_process';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

// Detached child processes tracked by pid files, so `stack:down` in another shell (or a later
// CI step) can stop exactly what `stack:up` started and nothing else.

export interface PidRecord {
  readonly pid: number;
  /** A string that must appear in /proc/<pid>/cmdline, guarding against pid reuse. */
  readonly marker: string;
  readonly startedAt: string;
}

export async function spawnDetached(opts: {
  command: string;
  args: readonly string[];
  cwd: string;
  consoleFile: string;
  pidFile: string;
  marker: string;
  env?: NodeJS.ProcessEnv;
}): Promise<PidRecord> {
  await mkdir(dirname(opts.consoleFile), { recursive: true });
  await mkdir(dirname(opts.pidFile), { recursive: true });
  const out = await open(opts.consoleFile, 'a');
  try {
    const child = spawn(opts.command, [...opts.args], {
      cwd: opts.cwd,
      detached: true,
      stdio: ['ignore', out.fd, out.fd],
      env: opts.env ?? process.env,
    });
    const pid = await new Promise<number>((resolvePid, reject) => {
      child.once('error', reject);
      child.once('spawn', () => {
        if (child.pid === undefined) reject(new Error(`spawn of ${opts.command} returned no pid`));
        else resolvePid(child.pid);
      });
    });
    child.unref();
    const record: PidRecord = { pid, marker: opts.marker, startedAt: new Date().toISOString() };
    await writeFile(opts.pidFile, JSON.stringify(record) + '\n');
    return record;
  } finally {
    await out.close();
  }
}

export async function readPidFile(pidFile: string): Promise<PidRecord | undefined> {
  try {
    const parsed: unknown = JSON.parse(await readFile(pidFile, 'utf8'));
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      typeof (parsed as PidRecord).pid === 'number' &&
      typeof (parsed as PidRecord).marker === 'string'
    ) {
      return parsed as PidRecord;
    }
    return undefined;
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Alive and still the process we started (same marker in its command line, where /proc exists). */
export function isOurs(record: PidRecord): boolean {
  if (!isAlive(record.pid)) return false;
  const cmdlinePath = `/proc/${record.pid}/cmdline`;
  if (!existsSync('/proc/self/cmdline')) return true;
  try {
    return readFileSync(cmdlinePath, 'utf8').includes(record.marker);
  } catch {
    return false;
  }
}

export type StopOutcome = 'stopped' | 'killed' | 'not_running';

/** SIGTERM, wait for a clean exit (Kafka flushes and closes its logs), then SIGKILL. */
export async function stopProcess(pidFile: string, timeoutMs: number): Promise<StopOutcome> {
  const record = await readPidFile(pidFile);
  if (record === undefined || !isOurs(record)) {
    await rm(pidFile, { force: true });
    return 'not_running';
  }
  process.kill(record.pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(record.pid)) {
      await rm(pidFile, { force: true });
      return 'stopped';
    }
    await sleep(200);
  }
  process.kill(record.pid, 'SIGKILL');
  while (isAlive(record.pid)) await sleep(100);
  await rm(pidFile, { force: true });
  return 'killed';
}

export async function tailOf(file: string, lines = 20): Promise<string> {
  try {
    const text = await readFile(file, 'utf8');
    return text.split('\n').slice(-lines - 1).join('\n');
  } catch {
    return '';
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `ready` until it holds; past the deadline calls `onTimeout`, which throws. */
export async function waitUntil(deadline: number, ready: () => Promise<boolean>, onTimeout: () => never): Promise<void> {
  while (!(await ready())) {
    if (Date.now() > deadline) onTimeout();
    await sleep(300);
  }
}
