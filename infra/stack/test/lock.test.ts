import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withFileLock } from '../lock.ts';

describe('withFileLock', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sy-lock-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs bodies one at a time', async () => {
    const lock = join(dir, 'a.lock');
    const events: string[] = [];
    const body = (name: string) => async () => {
      events.push(`${name}:in`);
      await new Promise((r) => setTimeout(r, 50));
      events.push(`${name}:out`);
    };
    await Promise.all([withFileLock(lock, 5_000, body('x')), withFileLock(lock, 5_000, body('y'))]);
    expect(events).toHaveLength(4);
    expect(events[0]!.split(':')[0]).toBe(events[1]!.split(':')[0]);
    expect(events[2]!.split(':')[0]).toBe(events[3]!.split(':')[0]);
  });

  it('takes over a lock whose owner process is gone, and removes it afterwards', async () => {
    const lock = join(dir, 'b.lock');
    // Pid 2^22 + 1 is above Linux's default pid_max, so no process has it.
    await writeFile(lock, String(4_194_305));
    const seen = await withFileLock(lock, 2_000, () => readFile(lock, 'utf8'));
    expect(seen).toBe(String(process.pid));
    await expect(readFile(lock, 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('times out on a lock held by a live process', async () => {
    const lock = join(dir, 'c.lock');
    await writeFile(lock, String(process.ppid));
    await expect(withFileLock(lock, 500, async () => 'never')).rejects.toMatchObject({ code: 'lock_timeout' });
  });
});
