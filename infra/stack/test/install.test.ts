// Concurrent installs of one component into one cache: the fill runs once, every caller ends
// with a complete install, and no one's staging folder is removed under it. Before, staging
// folders were named by pid (shared by the test workers of one process) and a finished install
// could be deleted by a late installer.
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { installOnce, isInstalled } from '../install.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function cacheDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'sy-install-'));
  dirs.push(d);
  return d;
}

/** Copies "jars" one by one like Maven does, checking that its staging folder stays there. */
async function slowFill(staging: string, calls: { n: number }): Promise<void> {
  calls.n++;
  await mkdir(join(staging, 'libs'), { recursive: true });
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 5));
    await writeFile(join(staging, 'libs', `jar-${i}.jar`), `jar ${i}`);
  }
}

describe('installOnce', () => {
  it('fills once for concurrent installers in one process and leaves one complete install', async () => {
    const home = join(await cacheDir(), 'kafka-9.9.9');
    const calls = { n: 0 };
    await Promise.all(Array.from({ length: 6 }, () => installOnce(home, 30_000, (s) => slowFill(s, calls))));
    expect(calls.n).toBe(1);
    expect(isInstalled(home)).toBe(true);
    expect((await readdir(join(home, 'libs'))).length).toBe(20);
    expect((await readdir(join(home, '..'))).filter((n) => n.includes('.partial'))).toEqual([]);
  });

  it('lets the next installer try again after a failed install, and cleans the failed staging', async () => {
    const home = join(await cacheDir(), 'apicurio-1');
    await expect(
      installOnce(home, 30_000, async (s) => {
        await mkdir(s, { recursive: true });
        throw new Error('maven failed');
      }),
    ).rejects.toThrow('maven failed');
    expect(existsSync(home)).toBe(false);
    await installOnce(home, 30_000, (s) => slowFill(s, { n: 0 }));
    expect(isInstalled(home)).toBe(true);
    expect((await readdir(join(home, '..'))).filter((n) => n.includes('.partial') || n.endsWith('.lock'))).toEqual([]);
  });

  it('installs once across processes', { timeout: 60_000 }, async () => {
    const root = await cacheDir();
    const home = join(root, 'kafka-9.9.9');
    const log = join(root, 'fills.log');
    const script = join(root, 'installer.mts');
    await writeFile(
      script,
      [
        `import { appendFile, mkdir, writeFile } from 'node:fs/promises';`,
        `import { join } from 'node:path';`,
        `import { installOnce } from ${JSON.stringify(join(import.meta.dirname, '..', 'install.ts'))};`,
        `await installOnce(${JSON.stringify(home)}, 30_000, async (s) => {`,
        `  await appendFile(${JSON.stringify(log)}, 'fill\\n');`,
        `  await mkdir(join(s, 'libs'), { recursive: true });`,
        `  for (let i = 0; i < 20; i++) { await new Promise((r) => setTimeout(r, 10)); await writeFile(join(s, 'libs', 'j' + i), 'x'); }`,
        `});`,
      ].join('\n'),
    );
    const codes = await Promise.all(
      Array.from({ length: 3 }, () => new Promise<number | null>((resolve) => fork(script, [], { execArgv: ['--import', 'tsx'], stdio: 'inherit' }).once('exit', resolve))),
    );
    expect(codes).toEqual([0, 0, 0]);
    expect((await readFile(log, 'utf8')).trim().split('\n')).toEqual(['fill']);
    expect((await readdir(join(home, 'libs'))).length).toBe(20);
  });
});
