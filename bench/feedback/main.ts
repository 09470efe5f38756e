// `npm run bench:feedback -- [--data PATH] [--factor 1] [--split weighted] [--seeds 5] [--cold 0.1] [--json OUT]`
// Cold start with feedback on vs off vs a warm (full-history) start: see run.ts and the README.
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { createScoringBackend } from '@switchyard/scoring';
import { defaultDatasetPath, loadDataset, seededTestMask, type Dataset } from '@switchyard/datasets';
import { BUDGET_SPLITS, DEFAULT_FEEDBACK_OPTIONS, type BudgetSplit, type FeedbackOptions, type ScoreKernel } from '@switchyard/routing-core';
import { formatFeedbackReport, runFeedbackBench, type FeedbackReport } from './run.ts';
import { runScenarioBench, SCENARIOS, type ScenarioReport } from './scenario-run.ts';
import { formatScenarioReport } from './scenario-table.ts';
import { formatLearningCurve, runLearningCurve, type LearningCurveReport } from './learning-curve.ts';
import type { ScenarioName } from './scenarios.ts';

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

function positive(v: string): number {
  const n = Number(v);
  if (!(n > 0)) throw new InvalidArgumentError('must be a positive number');
  return n;
}

function fraction(v: string): number {
  const n = Number(v);
  if (!(n > 0 && n <= 1)) throw new InvalidArgumentError('must be in (0, 1]');
  return n;
}

function split(v: string): BudgetSplit {
  if (!(BUDGET_SPLITS as readonly string[]).includes(v)) throw new InvalidArgumentError(`must be one of ${BUDGET_SPLITS.join(', ')}`);
  return v as BudgetSplit;
}

/** The history split again into a pseudo-history and a pseudo-stream (seeded): what options are chosen on. */
function historyHoldout(ds: Dataset, share: number): Dataset {
  const mask = seededTestMask(ds.history.length, share, 7);
  return { ...ds, name: `${ds.name} (history holdout ${share})`, history: ds.history.filter((_, i) => mask[i] === 0), test: ds.history.filter((_, i) => mask[i] === 1) };
}

function scenarios(v: string): ScenarioName[] {
  if (v === 'all') return [...SCENARIOS];
  const names = v.split(',');
  for (const n of names) if (!(SCENARIOS as readonly string[]).includes(n)) throw new InvalidArgumentError(`unknown scenario ${n}; one of ${SCENARIOS.join(', ')} or all`);
  return names as ScenarioName[];
}

export async function main(argv: readonly string[]): Promise<{ report: FeedbackReport | ScenarioReport | { learningCurve: LearningCurveReport }; text: string }> {
  const program = new Command('bench:feedback')
    .exitOverride()
    .option('--data <path>', 'dataset folder (RouterBench CSV) or JSONL file; default ../shared/data/routerbench-subset')
    .option('--factor <f>', 'budget factor', positive, 1)
    .option('--split <s>', 'budget split: weighted, uniform or cost', split, 'weighted' as BudgetSplit)
    .option('--seeds <n>', 'number of shuffled streams (>= 5 for reports)', positiveInt, 5)
    .option('--first-seed <n>', 'first stream seed', (v) => Number.parseInt(v, 10), 0)
    .option('--cold <fraction>', 'share of the history the cold variants start from', fraction, 0.1)
    .option('--batch <n>', 'queries decided per routing call; outcomes return after each', positiveInt, 64)
    .option('--beta <b>', 'LinUCB width multiplier of the on-bonus variant', positive, 1)
    .option('--bonus-target <t>', 'where the bonus goes: score (kernel bonus input) or quality (optimistic d^)', DEFAULT_FEEDBACK_OPTIONS.bonusTarget)
    .option('--cost-prior <n>', 'pseudo-observations of the cost correction', positive, DEFAULT_FEEDBACK_OPTIONS.costPriorCount)
    .option('--search-width <n>', 'search k * n neighbours; each model averages its first k with a value (1: plain top-k)', positiveInt, 4)
    .option('--kernel <k>', 'score kernel: ts or none (float64 in the policy)', 'ts')
    .option('--scenario <names>', `change scenarios (${SCENARIOS.join(', ')}, comma-separated, or all): off / on / oracle per scenario instead of the cold-start variants`, scenarios)
    .option('--cold-rows <n>', 'history rows cold-incomplete starts from', positiveInt, 200)
    .option('--progress', 'print a line per scenario and seed to stderr')
    .option('--holdout <fraction>', 'tuning: route a seeded share of the HISTORY as the stream, from the rest (the test split is not read)', fraction)
    .option('--feedback <json>', 'tuning: overrides of the `on` options, e.g. \'{"costDiscount":0.95}\'')
    .option('--learning-curve', '`off` on stationary from 10/25/50/100% of the history (alone, or next to --scenario: its JSON gains "learningCurve")')
    .option('--json <out>', 'write the JSON report here');
  program.parse(argv, { from: 'user' });
  const o = program.opts<{ data?: string; factor: number; split: BudgetSplit; seeds: number; firstSeed: number; cold: number; batch: number; beta: number; bonusTarget: string; costPrior: number; searchWidth: number; kernel: string; scenario?: ScenarioName[]; progress?: boolean; learningCurve?: boolean; coldRows: number; holdout?: number; feedback?: string; json?: string }>();
  const dataPath = o.data ?? defaultDatasetPath();
  if (!dataPath) throw new InvalidArgumentError('no --data given and ../shared/data/routerbench-subset does not exist');
  if (o.bonusTarget !== 'score' && o.bonusTarget !== 'quality') throw new InvalidArgumentError('--bonus-target must be score or quality');
  if (!['ts', 'none'].includes(o.kernel)) throw new InvalidArgumentError('--kernel must be ts or none');
  const loaded = await loadDataset(dataPath, { countTokens: false });
  const ds = o.holdout ? historyHoldout(loaded, o.holdout) : loaded;
  const feedback = o.feedback ? ({ ...DEFAULT_FEEDBACK_OPTIONS, ...(JSON.parse(o.feedback) as Partial<FeedbackOptions>) } as FeedbackOptions) : undefined;
  let kernel: ScoreKernel | undefined;
  let dispose = (): void => {};
  if (o.kernel === 'ts') {
    const backend = createScoringBackend('ts');
    kernel = (input) => backend.scoreBatch({ ...input });
    dispose = () => backend.dispose();
  }
  try {
    const seeds = Array.from({ length: o.seeds }, (_, i) => o.firstSeed + i);
    const curveOptions = {
      factor: o.factor,
      split: o.split,
      seeds,
      batchSize: o.batch,
      searchWidth: o.searchWidth,
      coldRows: o.coldRows,
      ...(kernel ? { kernel } : {}),
      ...(o.progress ? { progress: (line: string) => console.error(line) } : {}),
    };
    if (o.learningCurve && !o.scenario) {
      const learningCurve = await runLearningCurve(ds, curveOptions);
      if (o.json) await writeFile(o.json, `${JSON.stringify({ learningCurve }, null, 2)}\n`);
      return { report: { learningCurve }, text: formatLearningCurve(learningCurve) };
    }
    if (o.scenario) {
      const report: ScenarioReport & { learningCurve?: LearningCurveReport } = await runScenarioBench(ds, {
        factor: o.factor,
        split: o.split,
        seeds: Array.from({ length: o.seeds }, (_, i) => o.firstSeed + i),
        batchSize: o.batch,
        searchWidth: o.searchWidth,
        scenarios: o.scenario,
        coldRows: o.coldRows,
        ...(feedback ? { feedback } : {}),
        ...(kernel ? { kernel } : {}),
        ...(o.progress ? { progress: (line: string) => console.error(line) } : {}),
      });
      let text = formatScenarioReport(report);
      if (o.learningCurve) {
        report.learningCurve = await runLearningCurve(ds, curveOptions);
        text += `\n\n${formatLearningCurve(report.learningCurve)}`;
      }
      if (o.json) await writeFile(o.json, `${JSON.stringify(report, null, 2)}\n`);
      return { report, text };
    }
    const report = await runFeedbackBench(ds, {
      factor: o.factor,
      split: o.split,
      seeds: Array.from({ length: o.seeds }, (_, i) => o.firstSeed + i),
      coldFraction: o.cold,
      batchSize: o.batch,
      beta: o.beta,
      bonusTarget: o.bonusTarget,
      costPriorCount: o.costPrior,
      searchWidth: o.searchWidth,
      ...(kernel ? { kernel } : {}),
    });
    if (o.json) await writeFile(o.json, `${JSON.stringify(report, null, 2)}\n`);
    return { report, text: formatFeedbackReport(report) };
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
