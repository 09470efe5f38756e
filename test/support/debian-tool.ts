// A program the tests drive that comes from a Debian package (Chromium, Prometheus' promtool).
// On a fresh machine nothing has installed it, so a test finds it or installs it here: the
// Debian package with apt-get when the process runs as root on a system with apt-get (what CI
// and the project's containers are), else it reports the exact command to run.
import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface DebianTool {
  /** As a reader names it: "Chromium", "promtool". */
  readonly name: string;
  readonly debianPackage: string;
  /** Variable that names the binary explicitly (checked first). */
  readonly envVar: string;
  /** Where the package (and look-alikes) put the binary, first found wins. */
  readonly candidates: readonly string[];
  /** What to do by hand: the install command and the variable. */
  readonly installHint: string;
}

export type ToolLookup = { readonly ok: true; readonly path: string; readonly installed: boolean } | { readonly ok: false; readonly reason: string };

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
 * Finds the tool (its variable first, then the usual paths), installing its Debian package
 * when it is missing and this process may: root, with apt-get. apt-get waits for the dpkg lock
 * (another test run installing at the same time), up to ten minutes.
 */
export async function findOrInstallDebianTool(tool: DebianTool, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<ToolLookup> {
  const explicit = env[tool.envVar];
  if (explicit !== undefined && explicit !== '') {
    return (await executable(explicit)) ? { ok: true, path: explicit, installed: false } : { ok: false, reason: `${tool.envVar}=${explicit} is not an executable file` };
  }
  const found = await firstExecutable(tool.candidates);
  if (found !== null) return { ok: true, path: found, installed: false };
  const root = process.getuid?.() === 0;
  if (!root || !(await executable('/usr/bin/apt-get'))) {
    return { ok: false, reason: `no ${tool.name} found (looked at ${tool.candidates.join(', ')}); ${tool.installHint}` };
  }
  log(`${tool.name} not found: installing Debian's ${tool.debianPackage} package (apt-get, once per machine) ...`);
  const apt = ['-o', 'DPkg::Lock::Timeout=600', '-qq'];
  const options = { env: { ...env, DEBIAN_FRONTEND: 'noninteractive' }, maxBuffer: 64 * 1024 * 1024 };
  try {
    await run('apt-get', [...apt, 'update'], options);
    await run('apt-get', [...apt, 'install', '-y', '--no-install-recommends', tool.debianPackage], options);
  } catch (err) {
    const detail = err instanceof Error ? err.message.split('\n').slice(0, 3).join(' ') : String(err);
    return { ok: false, reason: `installing ${tool.debianPackage} with apt-get failed (${detail}); ${tool.installHint}` };
  }
  const installed = await firstExecutable(tool.candidates);
  return installed !== null
    ? { ok: true, path: installed, installed: true }
    : { ok: false, reason: `apt-get installed ${tool.debianPackage} but no binary is at ${tool.candidates.join(', ')}; ${tool.installHint}` };
}
