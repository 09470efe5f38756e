/**
 * Where the router's CPU goes, from the V8 profiles `bench:e2e --router-profile DIR` writes (one
 * .cpuprofile per thread: the main thread and each scoring worker). Self time is grouped by
 * area (a package under node_modules, a workspace library, or V8's own entries such as the
 * garbage collector) and listed by function; with --requests N also per request.
 *
 *   node --import tsx bench/e2e/profile.ts DIR [--requests N] [--top 25]
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** The area a frame belongs to: an npm package, a workspace library or service, or V8's own. */
export function areaOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg !== null) return pkg[1]!;
  const ws = /\/(libs|services|bench)\/([^/]+)\//.exec(url);
  if (ws !== null) return `${ws[1]}/${ws[2]}`;
  if (url.startsWith('node:')) return 'node';
  return url;
}

interface Totals {
  totalMs: number;
  byArea: Map<string, number>;
  byFunction: Map<string, number>;
}

/**
 * The profile cut to the part where slices were handled: from the first to the last sample with
 * `marker` on its stack (start-up and shutdown left out). Threads without it are kept whole.
 */
export function steadyPart(p: CpuProfile, marker: string): CpuProfile {
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const marked = new Map<number, boolean>();
  const has = (id: number): boolean => {
    const known = marked.get(id);
    if (known !== undefined) return known;
    const up = parent.get(id);
    const v = byId.get(id)!.callFrame.functionName === marker || (up !== undefined && has(up));
    marked.set(id, v);
    return v;
  };
  let first = -1;
  let last = -1;
  p.samples.forEach((id, i) => {
    if (has(id)) {
      if (first < 0) first = i;
      last = i;
    }
  });
  if (first < 0) return p;
  return { ...p, samples: p.samples.slice(first, last + 1), timeDeltas: p.timeDeltas.slice(first, last + 1) };
}

export function selfTimes(p: CpuProfile): Totals {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  // timeDeltas[i] is the time before sample i; attribute the interval to the sample taken at its end.
  for (let i = 0; i < p.samples.length; i++) selfUs.set(p.samples[i]!, (selfUs.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
  const byArea = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id)!;
    const { functionName, url, lineNumber } = n.callFrame;
    if (functionName === '(idle)') continue;
    const area = areaOf(url, functionName);
    const fn = `${functionName || '(anonymous)'} ${url === '' ? '' : `${url.replace(/^.*\/(node_modules|libs|services|bench)\//, '$1/')}:${lineNumber + 1}`}`;
    byArea.set(area, (byArea.get(area) ?? 0) + us / 1000);
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us / 1000);
    total += us / 1000;
  }
  return { totalMs: total, byArea, byFunction };
}

/**
 * Time under each named function (inclusive), each sample given to its nearest named ancestor,
 * so nested names do not count twice; the rest is "(elsewhere)".
 */
export function underFunctions(p: CpuProfile, names: readonly string[]): Map<string, number> {
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const wanted = new Set(names);
  const nearest = new Map<number, string>();
  const resolve = (id: number): string => {
    const known = nearest.get(id);
    if (known !== undefined) return known;
    const fn = byId.get(id)!.callFrame.functionName;
    const up = parent.get(id);
    const found = wanted.has(fn) ? fn : fn === '(idle)' ? '(idle)' : up === undefined ? '(elsewhere)' : resolve(up);
    nearest.set(id, found);
    return found;
  };
  const out = new Map<string, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const name = resolve(p.samples[i]!);
    if (name !== '(idle)') out.set(name, (out.get(name) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  }
  return out;
}

function main(): void {
  const args = process.argv.slice(2);
  const dir = args[0];
  if (dir === undefined) throw new Error('usage: profile.ts DIR [--requests N] [--top N]');
  const opt = (name: string): number | undefined => {
    const i = args.indexOf(name);
    return i < 0 ? undefined : Number(args[i + 1]);
  };
  const requests = opt('--requests');
  const top = opt('--top') ?? 25;
  const inc = args.indexOf('--inclusive');
  const inclusive = inc < 0 ? [] : args[inc + 1]!.split(',');
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort();
  const per = (ms: number): string => (requests === undefined ? '' : ` ${((ms * 1000) / requests).toFixed(1).padStart(7)} us/req`);
  for (const f of files) {
    const whole = JSON.parse(readFileSync(join(dir, f), 'utf8')) as CpuProfile;
    // The main thread from its first slice to its last, a worker from its first task to its last.
    const profile = steadyPart(steadyPart(whole, 'prepareSlice'), 'score');
    const t = selfTimes(profile);
    console.log(`\n${f}: ${(t.totalMs / 1000).toFixed(1)} s busy (idle excluded)${per(t.totalMs)}`);
    for (const [area, ms] of [...t.byArea].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`  ${(ms / 1000).toFixed(2).padStart(8)} s ${((100 * ms) / t.totalMs).toFixed(1).padStart(5)}%${per(ms)}  ${area}`);
    if (inclusive.length > 0) {
      console.log('  under (inclusive, nearest named caller):');
      for (const [fn, ms] of [...underFunctions(profile, inclusive)].sort((a, b) => b[1] - a[1])) console.log(`  ${(ms / 1000).toFixed(2).padStart(8)} s ${((100 * ms) / t.totalMs).toFixed(1).padStart(5)}%${per(ms)}  ${fn}`);
    }
    console.log('  top functions (self):');
    for (const [fn, ms] of [...t.byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${(ms / 1000).toFixed(2).padStart(8)} s ${((100 * ms) / t.totalMs).toFixed(1).padStart(5)}%${per(ms)}  ${fn}`);
  }
}

if (process.argv[1]?.endsWith('profile.ts')) main();
