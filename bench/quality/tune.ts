// Tuning of `resolving-dual` on the history only: the reference set is split (seeded) into a
// pseudo-history and a pseudo-stream, and each candidate config of `resolving-dual` runs on the same
// streams next to PORT and greedy-cost. The reported test figures never enter this loop.
// node --import tsx bench/quality/tune.ts --data PATH --grid '[{...}, {...}]' [--seeds 3] [--k 5]
import { Command } from 'commander';
import { defaultDatasetPath, loadDataset, seededTestMask } from '@switchyard/datasets';
import {
  createRng,
  loadHighsSolver,
  roundByArgmax,
  shuffledIndices,
  solveAssignmentLp,
  splitBudget,
  totalBudget,
  type BudgetSplit,
  type PolicyConfigInput,
} from '@switchyard/routing-core';
import { prepare, runAssignment, runPolicy, type ProtocolOptions } from './protocol.ts';

const program = new Command('tune')
  .option('--data <path>')
  .option('--grid <json>', 'array of resolving-dual overrides', '[{}]')
  .option('--seeds <n>', 'streams', '3')
  .option('--k <n>', 'neighbours of resolving-dual (the baselines keep k = 5)', '5')
  .option('--weighting <w>', 'uniform or similarity (resolving-dual)', 'uniform')
  .option('--factor <f>', 'budget factor', '1')
  .option('--split <s>', 'budget split', 'weighted')
  .option('--holdout <fraction>', 'share of the history used as the pseudo-stream', '0.3');
program.parse();
const o = program.opts<{ data?: string; grid: string; seeds: string; k: string; weighting: string; factor: string; split: string; holdout: string }>();

const full = await loadDataset(o.data ?? defaultDatasetPath() ?? '', { countTokens: false });
const mask = seededTestMask(full.history.length, Number(o.holdout), 7);
// Only the history is ever read: the test split must not choose anything that is reported on it.
const ds = { ...full, history: full.history.filter((_, i) => mask[i] === 0), test: full.history.filter((_, i) => mask[i] === 1) };
const opts: ProtocolOptions = {
  factors: [Number(o.factor)],
  splits: [o.split as BudgetSplit],
  seeds: Array.from({ length: Number(o.seeds) }, (_, i) => 1000 + i),
  k: 5,
  annKind: 'hnsw',
  weighting: 'uniform',
  primaryK: Number(o.k),
  primaryWeighting: o.weighting as ProtocolOptions['weighting'],
  batchSize: 64,
};
const p = prepare(ds, opts);
const solver = await loadHighsSolver();
const M = p.models.length;
const budgets = splitBudget(totalBudget(opts.factors[0]!, p.trueCost, M), opts.splits[0]!, p.historyMeans);
const est = roundByArgmax(solveAssignmentLp(solver, { nQueries: p.nTest, nModels: M, value: p.ann.quality, cost: p.ann.cost, budgets }).x, M);
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const row = async (label: string, config: PolicyConfigInput | 'est-opt'): Promise<void> => {
  const perf: number[] = [];
  const served: number[] = [];
  for (const seed of opts.seeds) {
    const order = shuffledIndices(p.nTest, createRng(seed));
    const r = config === 'est-opt' ? runAssignment(p, est, budgets, order) : await runPolicy(p, config, config.policy === 'resolving-dual' ? p.primary : p.ann, budgets, order, opts, solver);
    perf.push(r.performance);
    served.push(r.served);
  }
  console.log(`${label.padEnd(90)} perf ${mean(perf).toFixed(1).padStart(7)}  served ${mean(served).toFixed(1).padStart(7)}`);
};
console.log(`pseudo-stream of history ${p.nTest}, reference ${p.nHistory}, k ${opts.k}, ${o.weighting}, factor ${o.factor}, ${o.split}`);
await row('port', { policy: 'port', seed: 0 });
await row('greedy-cost', { policy: 'greedy-cost' });
await row('est-opt', 'est-opt');
for (const g of JSON.parse(o.grid) as object[]) await row(`resolving-dual ${JSON.stringify(g)}`, { policy: 'resolving-dual', ...g } as PolicyConfigInput);
