// `npm run bench:filemode -- [--data PATH] [--factor 1,2,4] [--seeds 5] [--first-seed 0] [--json OUT]`
// Does the running system decide as bench:quality says it does? For each seed, the same shuffled
// test stream goes through bench:quality's `usd-budget` method and through file mode
// (`switchyard route --budget-usd`'s code, see file-mode.ts) under the same dollar budget; the
// table puts them side by side with the paired difference and its 95% interval. At factor 1 the
// one budget only pays for the cheapest model on every query, so the choice is nearly forced;
// larger factors are where the two could part.
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { defaultDatasetPath, loadDataset } from '@switchyard/datasets';
import { createRng, RESOLVING_DUAL_ESTIMATOR, shuffledIndices, totalBudget } from '@switchyard/routing-core';
import { renderTable } from '@switchyard/cli';
import { pairedDiff, type PairedDiff } from '../feedback/run.ts';
import { historyMaxOutputTokens, runFileModeUsd } from './file-mode.ts';
import { prepare, type RunTotals, type Stat } from './protocol.ts';
import { runUsdBudget } from './usd.ts';

export interface FileModeReport {
  dataset: string;
  factor: number;
  seeds: number[];
  budgetUsd: number;
  maxOutputTokens: number;
  methods: Record<'usd-budget' | 'file-mode', { performance: Stat; cost: Stat; served: Stat; exceeded: boolean; perSeed: RunTotals[] }>;
  refusedByReason: Record<string, number>;
  /** file-mode - usd-budget, paired by seed. */
  performanceDiff: PairedDiff;
  /** Whether file mode's mean performance lies within one standard deviation (over seeds) of usd-budget's. */
  withinSeedSpread: boolean;
}

function parseFactors(v: string): number[] {
  const xs = v.split(',').map(Number);
  if (xs.length === 0 || xs.some((x) => !(x > 0))) throw new InvalidArgumentError('--factor must be positive numbers, comma separated');
  return xs;
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

function stat(xs: readonly number[]): Stat {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, sd };
}

const summary = (runs: RunTotals[]): FileModeReport['methods']['usd-budget'] => ({
  performance: stat(runs.map((r) => r.performance)),
  cost: stat(runs.map((r) => r.cost)),
  served: stat(runs.map((r) => r.served)),
  exceeded: runs.some((r) => r.exceeded),
  perSeed: runs,
});

export async function main(argv: readonly string[]): Promise<{ reports: FileModeReport[]; text: string }> {
  const program = new Command('bench:filemode')
    .exitOverride()
    .option('--data <path>', 'dataset folder (RouterBench CSV) or JSONL file; default ../shared/data/routerbench-subset')
    .option('--factor <f>', 'budget factor(s) of the protocol, a comma list (the total budget both methods get)', parseFactors, [1, 2, 4])
    .option('--seeds <n>', 'number of shuffled test streams', positiveInt, 5)
    .option('--first-seed <n>', 'first stream seed (reports: 0, as bench:quality)', (v) => Number.parseInt(v, 10), 0)
    .option('--slice <n>', "requests per file-mode routing call (the benchmark's batch)", positiveInt, 64)
    .option('--json <out>', 'write the JSON report here');
  program.parse(argv, { from: 'user' });
  const o = program.opts<{ data?: string; factor: number[]; seeds: number; firstSeed: number; slice: number; json?: string }>();
  const dataPath = o.data ?? defaultDatasetPath();
  if (!dataPath) throw new InvalidArgumentError('no --data given and ../shared/data/routerbench-subset does not exist');
  const ds = await loadDataset(resolve(dataPath), { countTokens: false });
  const p = prepare(ds, { k: 5, annKind: 'hnsw', weighting: 'uniform', primaryK: RESOLVING_DUAL_ESTIMATOR.k, primaryWeighting: RESOLVING_DUAL_ESTIMATOR.weighting });
  const seeds = Array.from({ length: o.seeds }, (_, i) => o.firstSeed + i);
  const reports: FileModeReport[] = [];
  for (const factor of o.factor) {
    const budgetUsd = totalBudget(factor, p.trueCost, p.models.length);
    const bench: RunTotals[] = [];
    const fileMode: RunTotals[] = [];
    const refusedByReason: Record<string, number> = {};
    for (const seed of seeds) {
      const order = shuffledIndices(p.nTest, createRng(seed));
      bench.push(runUsdBudget(p, budgetUsd, order).totals);
      const run = await runFileModeUsd(ds, order, { dataPath: resolve(dataPath), budgetUsd, sliceRequests: o.slice });
      fileMode.push(run.totals);
      for (const [reason, n] of Object.entries(run.refusedByReason)) refusedByReason[reason] = (refusedByReason[reason] ?? 0) + n;
    }
    const methods = { 'usd-budget': summary(bench), 'file-mode': summary(fileMode) };
    const performanceDiff = pairedDiff(
      fileMode.map((r) => r.performance),
      bench.map((r) => r.performance),
    );
    const b = methods['usd-budget'].performance;
    const report: FileModeReport = {
      dataset: ds.name,
      factor,
      seeds,
      budgetUsd,
      maxOutputTokens: historyMaxOutputTokens(ds),
      methods,
      refusedByReason,
      performanceDiff,
      withinSeedSpread: Math.abs(methods['file-mode'].performance.mean - b.mean) <= b.sd,
    };
    reports.push(report);
  }
  if (o.json) await writeFile(o.json, `${JSON.stringify(reports, null, 2)}\n`);
  return { reports, text: reports.map(formatFileMode).join('\n\n') };
}

function formatFileMode(r: FileModeReport): string {
  const f = (s: Stat, d: number): string => `${s.mean.toFixed(d)} ± ${s.sd.toFixed(d)}`;
  const rows = (['usd-budget', 'file-mode'] as const).map((name) => {
    const m = r.methods[name];
    return [name === 'file-mode' ? 'file mode (route --budget-usd)' : 'usd-budget (bench:quality)', f(m.performance, 1), f(m.cost, 4), f(m.served, 1), m.exceeded ? 'YES' : 'no'];
  });
  const d = r.performanceDiff;
  const refused = Object.entries(r.refusedByReason).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
  return [
    `dataset ${r.dataset}: factor ${r.factor}, budget ${r.budgetUsd.toFixed(4)} USD, seeds ${r.seeds[0]}..${r.seeds[r.seeds.length - 1]}, max output tokens per line ${r.maxOutputTokens}`,
    '',
    renderTable([{ title: 'method' }, { title: 'performance', align: 'right' }, { title: 'true cost (USD)', align: 'right' }, { title: 'served', align: 'right' }, { title: 'exceeded', align: 'right' }], rows),
    '',
    `file mode - usd-budget, performance, paired: ${d.mean.toFixed(2)} [${d.ci95[0].toFixed(2)}, ${d.ci95[1].toFixed(2)}]; within one seed sd of usd-budget: ${r.withinSeedSpread ? 'yes' : 'no'}`,
    `file mode refused (all seeds): ${refused}`,
  ].join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (r) => console.log(r.text),
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : e);
      process.exitCode = 1;
    },
  );
}
