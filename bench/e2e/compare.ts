/**
 * Side by side in one session: the same `bench:e2e` command run alternately in a baseline
 * checkout (another worktree of this repository at an older commit, with its own node_modules)
 * and in this one, so both see the same machine and the same background load.
 *
 *   npm run bench:e2e:compare -- --baseline ../switchyard-base [--rounds 2] [--json OUT] -- <bench:e2e options>
 *
 * Prints one row per run and the median of each side; the JSON holds every run's report.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

interface RunReport {
  throughput: { requestsPerSec: number; steady: { requestsPerSec: number } };
  latency: { p50Ms: number; p99Ms: number };
  cpu: { requestsPerRouterCpuSecond: number; rows: { component: string; cpuSeconds: number }[] };
  check: { exactlyOnce: boolean; delivered: number; expected: number };
  env: { loadAverage1m: { start: number; end: number } };
}

interface Run {
  side: 'baseline' | 'new';
  round: number;
  commit: string;
  exitCode: number | null;
  report: RunReport | null;
}

function parse(argv: readonly string[]): { baseline: string; rounds: number; json?: string; rest: string[] } {
  const split = argv.indexOf('--');
  const own = split < 0 ? argv : argv.slice(0, split);
  const rest = split < 0 ? [] : argv.slice(split + 1);
  const o = new Command('bench:e2e:compare')
    .requiredOption('--baseline <dir>', 'checkout of the baseline commit, with node_modules')
    .option('--rounds <n>', 'runs per side, alternating (baseline first)', (v) => {
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError('a positive integer');
      return n;
    }, 2)
    .option('--json <file>', 'write every run and the medians as JSON')
    .parse([...own], { from: 'user' })
    .opts<{ baseline: string; rounds: number; json?: string }>();
  const baseline = resolve(o.baseline);
  if (!existsSync(join(baseline, 'bench/e2e/main.ts'))) throw new InvalidArgumentError(`--baseline ${baseline} has no bench/e2e/main.ts`);
  return { baseline, rounds: o.rounds, ...(o.json !== undefined ? { json: o.json } : {}), rest };
}

async function commitOf(dir: string): Promise<string> {
  const child = spawn('git', ['rev-parse', '--short', 'HEAD'], { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await once(child, 'exit');
  return out.trim() || 'unknown';
}

// Each side migrates its own database: a baseline refuses a database that holds migrations it has
// no file for, and the new side's migrations must not be undone by the baseline's.
async function runOnce(dir: string, args: readonly string[], jsonPath: string, database: string): Promise<{ exitCode: number | null; report: RunReport | null }> {
  rmSync(jsonPath, { force: true });
  const env = { ...process.env, SWITCHYARD_PG_DATABASE: database };
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/e2e/main.ts', ...args, '--json', jsonPath], { cwd: dir, stdio: 'inherit', env });
  const [code] = (await once(child, 'exit')) as [number | null];
  const report = existsSync(jsonPath) ? (JSON.parse(readFileSync(jsonPath, 'utf8')) as RunReport) : null;
  return { exitCode: code, report };
}

const median = (xs: number[]): number => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function routerCpuS(r: RunReport): number {
  return r.cpu.rows.find((x) => x.component.startsWith('router process'))?.cpuSeconds ?? Number.NaN;
}

function row(run: Run): string[] {
  const r = run.report;
  const f0 = (n: number | undefined): string => (n !== undefined && Number.isFinite(n) ? n.toFixed(0) : '-');
  if (r === null) return [run.side, run.commit, String(run.round), `failed (exit ${run.exitCode})`, '-', '-', '-', '-', '-', '-'];
  const usPerRequest = (routerCpuS(r) * 1e6) / r.check.delivered;
  return [
    run.side,
    run.commit,
    String(run.round),
    f0(r.cpu.requestsPerRouterCpuSecond),
    f0(usPerRequest),
    f0(r.throughput.requestsPerSec),
    f0(r.throughput.steady.requestsPerSec),
    `${(r.latency.p50Ms / 1000).toFixed(1)} / ${(r.latency.p99Ms / 1000).toFixed(1)}`,
    `${r.env.loadAverage1m.start.toFixed(1)} -> ${r.env.loadAverage1m.end.toFixed(1)}`,
    r.check.exactlyOnce ? `OK ${r.check.delivered}` : `FAILED ${r.check.delivered}/${r.check.expected}`,
  ];
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  const database = process.env['SWITCHYARD_PG_DATABASE'] ?? 'switchyard';
  const sides = [
    { side: 'baseline' as const, dir: o.baseline, commit: await commitOf(o.baseline), database: `${database}_baseline` },
    { side: 'new' as const, dir: ROOT, commit: await commitOf(ROOT), database },
  ];
  const tmp = join(tmpdir(), `bench-e2e-compare-${process.pid}`);
  mkdirSync(tmp, { recursive: true });
  const runs: Run[] = [];
  const loadStart = loadavg()[0] ?? 0;
  for (let round = 1; round <= o.rounds; round++) {
    for (const s of sides) {
      process.stderr.write(`\n== ${s.side} (${s.commit}) round ${round}: bench:e2e ${o.rest.join(' ')}\n`);
      const res = await runOnce(s.dir, o.rest, join(tmp, `${s.side}-${round}.json`), s.database);
      runs.push({ side: s.side, round, commit: s.commit, ...res });
    }
  }
  rmSync(tmp, { recursive: true, force: true });
  const header = ['side', 'commit', 'round', 'requests / router CPU s', 'router CPU us / request', 'end to end requests/s', 'steady requests/s', 'latency p50 / p99 s', '1-min load', 'exactly once'];
  console.log(`\nbench:e2e ${o.rest.join(' ')}: baseline and new alternating, ${o.rounds} round(s) each (1-min load ${loadStart.toFixed(1)} -> ${(loadavg()[0] ?? 0).toFixed(1)})`);
  console.log(table(header, runs.map(row)));
  const medians = sides.map((s) => {
    const mine = runs.filter((r) => r.side === s.side && r.report !== null).map((r) => r.report!);
    return {
      side: s.side,
      commit: s.commit,
      requestsPerRouterCpuSecond: median(mine.map((r) => r.cpu.requestsPerRouterCpuSecond)),
      endToEndRequestsPerSec: median(mine.map((r) => r.throughput.requestsPerSec)),
      allExactlyOnce: mine.length > 0 && mine.every((r) => r.check.exactlyOnce),
    };
  });
  console.log('\nmedians');
  console.log(table(['side', 'commit', 'runs', 'requests / router CPU s', 'end to end requests/s', 'all exactly once'], medians.map((m) => [m.side, m.commit, String(runs.filter((r) => r.side === m.side && r.report !== null).length), m.requestsPerRouterCpuSecond.toFixed(0), m.endToEndRequestsPerSec.toFixed(0), String(m.allExactlyOnce)])));
  if (o.json !== undefined) {
    mkdirSync(dirname(resolve(o.json)), { recursive: true });
    writeFileSync(o.json, `${JSON.stringify({ bench: 'e2e-compare', args: o.rest, loadAverage1m: { start: loadStart, end: loadavg()[0] ?? 0 }, runs, medians }, null, 2)}\n`);
    console.log(`wrote ${o.json}`);
  }
  if (runs.some((r) => r.report === null || !r.report.check.exactlyOnce)) process.exitCode = 1;
}

await main();
