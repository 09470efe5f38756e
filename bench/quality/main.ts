// `npm run bench:quality -- --data PATH [--factor 1|all|0.5,1,2] [--split weighted|all] [--seeds 5] [--json OUT]`
// Prints one table per (factor, split) and writes BENCHMARK.md's JSON (an array when several).
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { z } from 'zod';
import { createScoringBackend } from '@switchyard/scoring';
import { defaultDatasetPath, loadDataset, seededTestMask, type Dataset } from '@switchyard/datasets';
import { BUDGET_SPLITS, RESOLVING_DUAL_ESTIMATOR, type BudgetSplit, type ScoreKernel } from '@switchyard/routing-core';
import { prepare, runProtocol, type ProtocolOptions, type QualityReport } from './protocol.ts';
import { formatReport } from './table.ts';

const PrimaryOverrides = z
  .object({
    alpha: z.number().positive(),
    windowSize: z.number().int().positive(),
    resolveEvery: z.number().int().positive(),
    gammaMax: z.number().positive(),
    safetyMargin: z.number().min(0),
    paceStep: z.number().min(0),
    dropNegative: z.boolean(),
  })
  .partial()
  .strict();

function parseFactors(v: string): number[] {
  if (v === 'all') return [0.5, 1, 2];
  const xs = v.split(',').map(Number);
  if (xs.some((x) => !(x > 0))) throw new InvalidArgumentError('factor must be a positive number, a comma list, or "all"');
  return xs;
}

function parseSplits(v: string): BudgetSplit[] {
  if (v === 'all') return [...BUDGET_SPLITS];
  const xs = v.split(',');
  for (const x of xs) if (!(BUDGET_SPLITS as readonly string[]).includes(x)) throw new InvalidArgumentError(`split must be one of ${BUDGET_SPLITS.join(', ')} or "all"`);
  return xs as BudgetSplit[];
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

/**
 * Tuning mode: the reference set is split again, seeded, into a pseudo-history and a pseudo-test
 * stream, so parameters of `resolving-dual` can be chosen without looking at the reported test figures.
 */
function holdOutHistory(ds: Dataset, fraction: number, seed: number): Dataset {
  const mask = seededTestMask(ds.history.length, fraction, seed);
  return {
    ...ds,
    name: `${ds.name}[history holdout ${fraction}]`,
    history: ds.history.filter((_, i) => mask[i] === 0),
    test: ds.history.filter((_, i) => mask[i] === 1),
  };
}

export interface CliResult {
  reports: QualityReport[];
  text: string;
}

export async function main(argv: readonly string[]): Promise<CliResult> {
  const program = new Command('bench:quality')
    .exitOverride()
    .option('--data <path>', 'dataset folder (RouterBench CSV) or JSONL file; default ../shared/data/routerbench-subset')
    .option('--factor <f>', 'budget factor(s): a number, a comma list, or "all" (0.5, 1, 2)', parseFactors, [1])
    .option('--split <s>', 'budget split(s): weighted, uniform, cost, a comma list, or "all"', parseSplits, ['weighted'] as BudgetSplit[])
    .option('--seeds <n>', 'number of shuffled test streams (>= 5 for reports)', positiveInt, 5)
    .option('--first-seed <n>', 'first stream seed (report: 0; tuning used other seeds)', (v) => Number.parseInt(v, 10), 0)
    .option('--k <n>', 'neighbours per query', positiveInt, 5)
    .option('--ann <kind>', 'index for ANN estimates: hnsw, usearch or exact', 'hnsw')
    .option('--weighting <w>', 'neighbour weighting of the protocol estimates: uniform (PORT) or similarity', 'uniform')
    .option('--primary-k <n>', `neighbours of resolving-dual's own estimates (default ${RESOLVING_DUAL_ESTIMATOR.k})`, positiveInt, RESOLVING_DUAL_ESTIMATOR.k)
    .option('--primary-weighting <w>', `weighting of resolving-dual's own estimates (default ${RESOLVING_DUAL_ESTIMATOR.weighting})`, RESOLVING_DUAL_ESTIMATOR.weighting)
    .option('--batch <n>', 'queries decided per routing call', positiveInt, 64)
    .option('--kernel <k>', 'batch score kernel: ts, gpujs or none (float64 in the policy)', 'ts')
    .option('--primary <json>', 'overrides of the resolving-dual policy config (tuning)', '{}')
    .option('--holdout-history <fraction>', 'tune on the history: hold out this share of it as the stream', Number.parseFloat)
    .option('--json <out>', 'write the JSON report here');
  program.parse(argv, { from: 'user' });
  const o = program.opts<{
    data?: string;
    factor: number[];
    split: BudgetSplit[];
    seeds: number;
    firstSeed: number;
    k: number;
    ann: string;
    weighting: string;
    primaryK: number;
    primaryWeighting: string;
    batch: number;
    kernel: string;
    primary: string;
    holdoutHistory?: number;
    json?: string;
  }>();
  const dataPath = o.data ?? defaultDatasetPath();
  if (!dataPath) throw new InvalidArgumentError('no --data given and ../shared/data/routerbench-subset does not exist');
  if (!['hnsw', 'usearch', 'exact'].includes(o.ann)) throw new InvalidArgumentError('--ann must be hnsw, usearch or exact');
  for (const w of [o.weighting, o.primaryWeighting]) {
    if (!['uniform', 'similarity'].includes(w)) throw new InvalidArgumentError('--weighting and --primary-weighting must be uniform or similarity');
  }
  if (!['ts', 'gpujs', 'none'].includes(o.kernel)) throw new InvalidArgumentError('--kernel must be ts, gpujs or none');
  const primary = PrimaryOverrides.parse(JSON.parse(o.primary));

  let ds = await loadDataset(dataPath, { countTokens: false });
  if (o.holdoutHistory !== undefined) ds = holdOutHistory(ds, o.holdoutHistory, 7);
  let kernel: ScoreKernel | undefined;
  let dispose = (): void => {};
  if (o.kernel !== 'none') {
    const backend = createScoringBackend(o.kernel as 'ts' | 'gpujs');
    kernel = (input) => backend.scoreBatch({ ...input });
    dispose = () => backend.dispose();
  }
  try {
    const opts: ProtocolOptions = {
      factors: o.factor,
      splits: o.split,
      seeds: Array.from({ length: o.seeds }, (_, i) => o.firstSeed + i),
      k: o.k,
      annKind: o.ann as ProtocolOptions['annKind'],
      weighting: o.weighting as ProtocolOptions['weighting'],
      primaryK: o.primaryK,
      primaryWeighting: o.primaryWeighting as ProtocolOptions['weighting'],
      batchSize: o.batch,
      primary,
      ...(kernel ? { kernel } : {}),
    };
    const prepared = prepare(ds, opts);
    const reports = await runProtocol(prepared, opts);
    const text = reports.map((r) => formatReport(r, { ann: o.ann, weighting: o.weighting, primary: `k ${o.primaryK} ${o.primaryWeighting}`, kernel: o.kernel, firstSeed: o.firstSeed })).join('\n\n');
    if (o.json) await writeFile(o.json, `${JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2)}\n`);
    return { reports, text };
  } finally {
    dispose();
  }
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
