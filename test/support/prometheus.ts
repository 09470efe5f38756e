// Prometheus for the tests of infra/prometheus: Debian's `prometheus` package brings both
// binaries (promtool for the rule checks, prometheus for the scrape test), found or installed by
// debian-tool.ts. Where they can be neither, the tests fail with the command to run: the rules
// are part of the project and must be checked, not skipped.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { repoRoot } from '@switchyard/stack';
import { join } from 'node:path';
import { findOrInstallDebianTool } from './debian-tool.ts';
import type { DebianTool } from './debian-tool.ts';

export const PROMETHEUS_DIR = join(repoRoot, 'infra', 'prometheus');

export const INSTALL_HINT =
  'install Prometheus to run it: `sudo apt-get install -y --no-install-recommends prometheus` (Debian/Ubuntu; promtool comes with it), or set SWITCHYARD_PROMTOOL and SWITCHYARD_PROMETHEUS to the binaries';

const tool = (name: 'promtool' | 'prometheus', envVar: string): DebianTool => ({
  name,
  debianPackage: 'prometheus',
  envVar,
  candidates: [`/usr/bin/${name}`, `/usr/local/bin/${name}`],
  installHint: INSTALL_HINT,
});

const log = (line: string): void => console.log(`[prometheus] ${line}`);

/** The path of a binary of the prometheus package; throws with the install command where it can be neither found nor installed. */
export async function prometheusBinary(name: 'promtool' | 'prometheus', env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const found = await findOrInstallDebianTool(tool(name, name === 'promtool' ? 'SWITCHYARD_PROMTOOL' : 'SWITCHYARD_PROMETHEUS'), env, log);
  if (!found.ok) throw new Error(found.reason);
  return found.path;
}

export interface RunningPrometheus {
  readonly url: string;
  readonly process: ChildProcess;
  /** GET `path` of the HTTP API and return its `data`; throws on a non-success answer. */
  api<T>(path: string): Promise<T>;
  stop(): Promise<void>;
}

/**
 * Starts Prometheus on 127.0.0.1:`port` with `configFile` and a data folder of its own, and
 * waits until it says it is ready. Its log goes to `logFile`.
 */
export async function startPrometheus(opts: { binary: string; configFile: string; dataDir: string; port: number; logFile: string }): Promise<RunningPrometheus> {
  const child = spawn(
    opts.binary,
    [
      `--config.file=${opts.configFile}`,
      `--storage.tsdb.path=${opts.dataDir}`,
      `--web.listen-address=127.0.0.1:${opts.port}`,
      // Debian's default console paths do not matter here; no UI assets are needed.
      '--log.level=info',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const out = createWriteStream(opts.logFile, { flags: 'a' });
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  const url = `http://127.0.0.1:${opts.port}`;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with code ${child.exitCode} before it was ready; log: ${opts.logFile}`);
    const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus not ready on ${url} within 60 s; log: ${opts.logFile}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    process: child,
    async api<T>(path: string): Promise<T> {
      const res = await fetch(`${url}${path}`);
      const body = (await res.json()) as { status: string; data: T; error?: string };
      if (!res.ok || body.status !== 'success') throw new Error(`GET ${path} -> ${res.status} ${body.error ?? ''}`);
      return body.data;
    },
    stop,
  };
}
