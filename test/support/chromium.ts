// Headless Chromium for the browser tests (the HTML report). On a fresh machine nothing has
// installed it, so the test finds it or installs it here: Debian's `chromium` package with
// apt-get when the process runs as root on a system with apt-get (what CI and the project's
// containers are), else it reports the exact command to run and the test is skipped.
import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where Debian, Ubuntu and Google's packages put the browser. */
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

export const INSTALL_HINT =
  'install Chromium to run it: `sudo apt-get install -y chromium` (Debian/Ubuntu), or set SWITCHYARD_CHROMIUM to the path of a Chromium or Chrome binary';

export type ChromiumLookup = { readonly ok: true; readonly path: string; readonly installed: boolean } | { readonly ok: false; readonly reason: string };

async function executable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function firstExecutable(paths: readonly string[]): Promise<string | null> {
  for (const p of paths) if (await executable(p)) return p;
  return null;
}

/**
 * Finds Chromium (SWITCHYARD_CHROMIUM first, then the usual paths), installing Debian's package
 * when it is missing and this process may: root, with apt-get. apt-get waits for the dpkg lock
 * (another test run installing at the same time), up to ten minutes.
 */
export async function findOrInstallChromium(env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<ChromiumLookup> {
  const explicit = env['SWITCHYARD_CHROMIUM'];
  if (explicit !== undefined && explicit !== '') {
    return (await executable(explicit)) ? { ok: true, path: explicit, installed: false } : { ok: false, reason: `SWITCHYARD_CHROMIUM=${explicit} is not an executable file` };
  }
  const found = await firstExecutable(CANDIDATES);
  if (found !== null) return { ok: true, path: found, installed: false };
  const root = process.getuid?.() === 0;
  if (!root || !(await executable('/usr/bin/apt-get'))) {
    return { ok: false, reason: `no Chromium found (looked at ${CANDIDATES.join(', ')}); ${INSTALL_HINT}` };
  }
  log('Chromium not found: installing Debian\'s chromium package (apt-get, once per machine) ...');
  const apt = ['-o', 'DPkg::Lock::Timeout=600', '-qq'];
  try {
    await run('apt-get', [...apt, 'update'], { env: { ...env, DEBIAN_FRONTEND: 'noninteractive' }, maxBuffer: 64 * 1024 * 1024 });
    await run('apt-get', [...apt, 'install', '-y', '--no-install-recommends', 'chromium'], { env: { ...env, DEBIAN_FRONTEND: 'noninteractive' }, maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    const detail = err instanceof Error ? err.message.split('\n').slice(0, 3).join(' ') : String(err);
    return { ok: false, reason: `installing chromium with apt-get failed (${detail}); ${INSTALL_HINT}` };
  }
  const installed = await firstExecutable(CANDIDATES);
  return installed !== null ? { ok: true, path: installed, installed: true } : { ok: false, reason: `apt-get installed chromium but no binary is at ${CANDIDATES.join(', ')}; ${INSTALL_HINT}` };
}
