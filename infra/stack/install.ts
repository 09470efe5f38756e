// One install of a downloaded component into the shared cache, however many stacks ask for it
// at once. Two test files (or a test and `stack:up`) starting private brokers against one
// cache used to race: staging folders were named by pid, and test workers share one pid, so
// one installer's clean-up deleted the folder another's Maven was copying jars into ("Failed
// to copy artifact ... to cache/kafka-4.1.1.partial-NNNN/libs"); and a late installer removed
// a finished install that a broker was already running from. Now installers of one folder
// take turns under a file lock, check again for a finished install once they hold it, stage
// into a folder no one else names, and publish with one rename.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { withFileLock } from './lock.ts';

export const COMPLETE_MARKER = '.complete';

export function isInstalled(home: string): boolean {
  return existsSync(join(home, COMPLETE_MARKER));
}

/**
 * Runs `fill(staging)` at most once per `home` across processes and threads, unless an earlier
 * install failed; resolves when `home` holds a complete install. `lockTimeoutMs` bounds the wait
 * for another installer (a Maven download: minutes).
 */
export async function installOnce(home: string, lockTimeoutMs: number, fill: (staging: string) => Promise<void>): Promise<void> {
  if (isInstalled(home)) return;
  await withFileLock(`${home}.install.lock`, lockTimeoutMs, async () => {
    if (isInstalled(home)) return;
    const staging = `${home}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await fill(staging);
      await writeFile(join(staging, COMPLETE_MARKER), new Date().toISOString() + '\n');
      // Only an unfinished leftover can be here: a complete one returned above, under the lock.
      await rm(home, { recursive: true, force: true });
      await rename(staging, home);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  });
}
