// The learning curve behind the warm start (README, "Feedback under change"): `off` (no
// feedback, the start knowledge frozen) on the stationary scenario, starting from a seeded 10%,
// 25%, 50% and 100% of the history. Budgets, serving rule and stream are the stationary
// scenario's (B split on the full history's means for every row, as for every variant), so the
// rows differ only in how much past knowledge the k-NN estimates rest on.
import type { Dataset } from '@switchyard/datasets';
import { createRng, shuffledIndices, splitBudget, totalBudget } from '@switchyard/routing-core';
import { stat, type Stat } from './run.ts';
import { prepareShared, runVariant, streamFeatures, streamNeighbours, streamVectors, type ScenarioBenchOptions, type SeedContext } from './scenario-run.ts';
import { buildWorld, flatten, type Knowledge } from './scenarios.ts';

export const LEARNING_CURVE_FRACTIONS = [0.1, 0.25, 0.5, 1] as const;

export interface LearningCurvePoint {
  fraction: number;
  historyRows: number;
  performance: Stat;
  quarters: Stat[];
  served: Stat;
  lost: Stat;
  perSeed: number[];
  budgetExceeded: boolean;
}

export interface LearningCurveReport {
  scenario: 'stationary';
  variant: 'off';
  seeds: number;
  firstSeed: number;
  points: LearningCurvePoint[];
}

/** A seeded subset of the history (drawn per seed, nested: a larger share holds every smaller one). */
function subset(ds: Dataset, seed: number, fraction: number): Knowledge {
  const perm = shuffledIndices(ds.history.length, createRng(3_000_017 + seed));
  const n = Math.max(1, Math.round(fraction * ds.history.length));
  const history = Int32Array.from(fraction >= 1 ? ds.history.keys() : perm.slice(0, n));
  return { history, rows: flatten(Array.from(history, (h) => ds.history[h]!), ds.models.length) };
}

export async function runLearningCurve(ds: Dataset, opts: Omit<ScenarioBenchOptions, 'scenarios'>, fractions: readonly number[] = LEARNING_CURVE_FRACTIONS): Promise<LearningCurveReport> {
  const s = await prepareShared(ds, { ...opts, scenarios: ['stationary'] });
  const runs = fractions.map(() => [] as Awaited<ReturnType<typeof runVariant>>[]);
  for (const seed of opts.seeds) {
    const base = buildWorld(ds, 'stationary', seed);
    const budgets = splitBudget(totalBudget(opts.factor, base.truth.cost, s.M), opts.split, base.historyMeans);
    const vectors = streamVectors(s, base);
    const features = streamFeatures(s, base);
    for (const [i, f] of fractions.entries()) {
      const start = subset(ds, seed, f);
      const world = { ...base, start };
      const startNN = streamNeighbours(s, world, start);
      const ctx: SeedContext = { world, budgets, vectors, features, startNN, oracleNN: startNN.ids };
      runs[i]!.push(await runVariant(s, ctx, 'off', { ...opts, scenarios: ['stationary'] }));
    }
    opts.progress?.(`learning curve seed ${seed}: ${fractions.map((f, i) => `${f * 100}% ${runs[i]!.at(-1)!.performance.toFixed(0)}`).join(', ')}`);
  }
  return {
    scenario: 'stationary',
    variant: 'off',
    seeds: opts.seeds.length,
    firstSeed: opts.seeds[0] ?? 0,
    points: fractions.map((fraction, i) => {
      const r = runs[i]!;
      return {
        fraction,
        historyRows: fraction >= 1 ? ds.history.length : Math.max(1, Math.round(fraction * ds.history.length)),
        performance: stat(r.map((x) => x.performance)),
        quarters: [0, 1, 2, 3].map((q) => stat(r.map((x) => x.quarters[q]!))),
        served: stat(r.map((x) => x.served)),
        lost: stat(r.map((x) => x.lost)),
        perSeed: r.map((x) => x.performance),
        budgetExceeded: r.some((x) => x.exceeded),
      };
    }),
  };
}

export function formatLearningCurve(r: LearningCurveReport): string {
  const header = ['history', 'rows', 'performance', 'Q1', 'Q2', 'Q3', 'Q4', 'served', 'lost', 'exceeded'];
  const rows = r.points.map((p) => [
    `${(p.fraction * 100).toFixed(0)}%`,
    String(p.historyRows),
    `${p.performance.mean.toFixed(1)} ± ${p.performance.sd.toFixed(1)}`,
    ...p.quarters.map((q) => q.mean.toFixed(1)),
    p.served.mean.toFixed(1),
    p.lost.mean.toFixed(1),
    p.budgetExceeded ? 'YES' : 'no',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [
    `learning curve: off (frozen start knowledge) on stationary, ${r.seeds} seeds from ${r.firstSeed}, start from a seeded share of the history`,
    '',
    line(header),
    `|${widths.map((w, i) => (i === 0 ? ':' : '') + '-'.repeat(w + 1) + (i === 0 ? '' : ':')).join('|')}|`,
    ...rows.map(line),
  ].join('\n');
}
