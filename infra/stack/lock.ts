import { mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { StackError } from './errors.ts';
import { isAlive, sleep } from './process.ts';

/**
 * Cross-process mutex on a file created with O_EXCL: two `stack:up`s (or test runs) racing in
 * one checkout start each component once. A lock whose owner pid is gone is taken over.
 */
export async function withFileLock<T>(lockFile: string, timeoutMs: number, body: () => Promise<T>): Promise<T> {
  await mkdir(dirname(lockFile), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await open(lockFile, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number((await readFile(lockFile, 'utf8').catch(() => '')).trim());
      // An empty file is a lock being written right now, unless it has been empty for a while.
      const ageMs = Date.now() - ((await stat(lockFile).catch(() => undefined))?.mtimeMs ?? 0);
      const ownerless = !Number.isInteger(owner) || owner <= 0;
      if ((ownerless && ageMs > 5_000) || (!ownerless && !isAlive(owner))) {
        await rm(lockFile, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new StackError('lock_timeout', `process ${owner} holds ${lockFile}; waited ${timeoutMs} ms`);
      }
      await sleep(250);
    }
  }
  try {
    return await body();
  } finally {
    await rm(lockFile, { force: true });
  }
}
