// Feedback benchmark (README, "Feedback (bandit updates)"): the same stream, budgets and serving
// rule as bench/quality (BENCHMARK.md), routed by `resolving-dual` from a cold knowledge base with feedback
// on or off, and from the full history without feedback. Pure over a loaded dataset, so a test
// can drive it on tiny synthetic data.
import { createIndex } from '@switchyard/ann';
import type { Dataset } from '@switchyard/datasets';
import { createHashingEmbedder } from '@switchyard/embedding';
import {
  BudgetLedger,
  createPolicy,
  createRng,
  DEFAULT_FEEDBACK_OPTIONS,
  estimatePerModel,
  FeedbackModel,
  loadHighsSolver,
  RESOLVING_DUAL_ESTIMATOR,
  RandomProjection,
  ReferenceSet,
  shuffledIndices,
  splitBudget,
  totalBudget,
  type BudgetSplit,
  type FeedbackOptions,
  type LpSolver,
  type ScoreKernel,
} from '@switchyard/routing-core';

export const VARIANTS = ['off', 'on', 'on-append-only', 'on-cost-only', 'on-bonus', 'on-calibrated', 'on-imputed', 'oracle-rows', 'oracle-all-rows', 'warm'] as const;
export type Variant = (typeof VARIANTS)[number];

/** What each variant starts from and learns. */
/** Histogram-binning calibration of d^ as the `on-calibrated` variant applies it: one bin per value of a 5-NN mean of 0/1 outcomes. */
const ABLATION_CALIBRATION = { bins: 6, priorCount: 10 } as const;

/**
 * What each variant starts from and learns. `on` is DEFAULT_FEEDBACK_OPTIONS (with the bench's
 * overrides); the others add or remove one mechanism from it: rows only, cost correction only,
 * the LinUCB bonus (beta `bonusBeta`), calibration of d^ by served residuals, rows completed by
 * regression imputation.
 */
function plan(variant: Variant, on: FeedbackOptions, bonusBeta: number): { start: 'cold' | 'full'; feedback: FeedbackOptions | null; oracleRows?: 'served' | 'all' } {
  switch (variant) {
    case 'off':
      return { start: 'cold', feedback: null };
    case 'on':
      return { start: 'cold', feedback: on };
    case 'on-append-only':
      return { start: 'cold', feedback: { ...on, appendRows: true, correctCost: false } };
    case 'on-cost-only':
      return { start: 'cold', feedback: { ...on, appendRows: false, correctCost: true } };
    case 'on-bonus':
      return { start: 'cold', feedback: { ...on, ucb: { ...on.ucb, beta: bonusBeta } } };
    case 'on-calibrated':
      return { start: 'cold', feedback: { ...on, calibration: ABLATION_CALIBRATION } };
    case 'on-imputed':
      return { start: 'cold', feedback: { ...on, imputeRows: { priorCount: 0 } } };
    case 'oracle-rows':
      // Not deployable, a ceiling: each served query's row is appended with every model's true
      // outcome, as if serving one model revealed them all.
      return { start: 'cold', feedback: { ...on, appendRows: false }, oracleRows: 'served' };
    case 'oracle-all-rows':
      // The same for every streamed query, served or not: what the stream would teach without selection.
      return { start: 'cold', feedback: { ...on, appendRows: false }, oracleRows: 'all' };
    case 'warm':
      return { start: 'full', feedback: null };
  }
}

/** The `on` variant's options: the defaults with the bench's flags and overrides applied. */
export function onOptions(opts: FeedbackBenchOptions): FeedbackOptions {
  return { ...DEFAULT_FEEDBACK_OPTIONS, costPriorCount: opts.costPriorCount, bonusTarget: opts.bonusTarget, ...opts.feedback };
}

export interface Stat {
  mean: number;
  sd: number;
}

export interface VariantResult {
  performance: Stat;
  cost: Stat;
  served: Stat;
  efficiency: Stat;
  /** Performance within each quarter of the stream (by arrival position). */
  quarters: Stat[];
  /**
   * Mean absolute error of the raw k-NN quality estimates d^ against the true quality, over
   * every (query, model) cell with a known truth, per quarter: whether the knowledge base
   * itself gets better, apart from what the policy does with it.
   */
  estimateMae: Stat[];
  /** Reference rows appended from outcomes by the end of the stream. */
  appended: Stat;
  /** Performance of each seed, in the order of the report's seeds (for paired comparisons). */
  perSeed: number[];
  budgetExceeded: boolean;
}

export interface FeedbackReport {
  dataset: string;
  factor: number;
  split: BudgetSplit;
  seeds: number;
  firstSeed: number;
  nHistory: number;
  nCold: number;
  nTest: number;
  coldFraction: number;
  k: number;
  batchSize: number;
  embedder: string;
  beta: number;
  searchWidth: number;
  /** The options of the `on` variant. */
  feedback: FeedbackOptions;
  variants: Partial<Record<Variant, VariantResult>>;
  /**
   * Paired differences of performance per seed (same cold set, same stream order), keyed
   * "<variant> - off" for every cold variant with feedback and "on - warm", with the mean and a
   * 95% Student-t interval over seeds.
   */
  paired: Record<string, PairedDiff>;
}

export interface PairedDiff {
  perSeed: number[];
  mean: number;
  /** 95% two-sided Student-t interval of the mean difference. */
  ci95: [number, number];
}

export interface FeedbackBenchOptions {
  factor: number;
  split: BudgetSplit;
  seeds: readonly number[];
  coldFraction: number;
  batchSize: number;
  /** LinUCB width multiplier of the `on-bonus` variant. */
  beta: number;
  bonusTarget: FeedbackOptions['bonusTarget'];
  costPriorCount: number;
  /**
   * Neighbours searched per query = k * searchWidth; each model averages the first k with a value
   * (estimatePerModel), the same for every variant. 1 is the plain top-k.
   */
  searchWidth: number;
  /** Overrides of the `on` variant's options (DEFAULT_FEEDBACK_OPTIONS otherwise); the partial variants derive from them. */
  feedback?: Partial<FeedbackOptions>;
  /** Variants to run (all by default). */
  variants?: readonly Variant[];
  kernel?: ScoreKernel;
}

interface RunTotals {
  performance: number;
  cost: number;
  served: number;
  quarters: number[];
  maeSum: number[];
  maeCount: number[];
  appended: number;
  exceeded: boolean;
}

function rowsOf(qs: Dataset['history'], M: number) {
  const quality = new Float64Array(qs.length * M);
  const cost = new Float64Array(qs.length * M);
  const tokens = new Float64Array(qs.length * M);
  qs.forEach((q, i) => {
    quality.set(q.quality, i * M);
    cost.set(q.cost, i * M);
    tokens.set(q.tokens, i * M);
  });
  return { quality, cost, tokens };
}

interface Shared {
  ds: Dataset;
  M: number;
  dim: number;
  historyVectors: Float32Array;
  testVectors: Float32Array;
  testFeatures: Float64Array;
  featureDim: number;
  budgets: Float64Array;
  solver: LpSolver;
}

async function runOne(s: Shared, variant: Variant, seed: number, opts: FeedbackBenchOptions): Promise<RunTotals> {
  const { ds, M, dim } = s;
  const { start: startFrom, feedback: fbOptions, oracleRows } = plan(variant, onOptions(opts), opts.beta);
  // The cold subset is drawn per seed, so the spread covers which history happened to be known.
  const historyIds = startFrom === 'full' ? Int32Array.from(ds.history.keys()) : shuffledIndices(ds.history.length, createRng(1_000_003 + seed)).slice(0, coldSize(ds, opts));
  const start = Array.from(historyIds, (i) => ds.history[i]!);
  const ref = ReferenceSet.fromArrays(ds.models, rowsOf(start, M));
  const index = createIndex('exact', { dim, capacity: start.length + ds.test.length });
  const hv = new Float32Array(historyIds.length * dim);
  historyIds.forEach((h, i) => hv.set(s.historyVectors.subarray(h * dim, (h + 1) * dim), i * dim));
  index.add(hv);
  const fb = fbOptions ? new FeedbackModel(ref, fbOptions) : null;
  let oracleAppended = 0;
  const appendTruth = (j: number): number => {
    oracleAppended++;
    return ref.append(rowsOf([ds.test[j]!], M));
  };
  const policy = await createPolicy({ policy: 'resolving-dual' }, { budgets: s.budgets, streamLength: ds.test.length, solver: s.solver });
  const alpha = policy.pricing().alpha;
  const ledger = new BudgetLedger(s.budgets);
  const order = shuffledIndices(ds.test.length, createRng(seed));
  const totals: RunTotals = { performance: 0, cost: 0, served: 0, quarters: [0, 0, 0, 0], maeSum: [0, 0, 0, 0], maeCount: [0, 0, 0, 0], appended: 0, exceeded: false };
  const { k } = RESOLVING_DUAL_ESTIMATOR;
  const F = s.featureDim;
  for (let from = 0; from < order.length; from += opts.batchSize) {
    const to = Math.min(order.length, from + opts.batchSize);
    const n = to - from;
    const qv = new Float32Array(n * dim);
    const feats = new Float64Array(n * F);
    for (let i = 0; i < n; i++) {
      const j = order[from + i]!;
      qv.set(s.testVectors.subarray(j * dim, (j + 1) * dim), i * dim);
      feats.set(s.testFeatures.subarray(j * F, (j + 1) * F), i * F);
    }
    const nn = index.searchBatch(qv, k * opts.searchWidth);
    const raw = estimatePerModel(ref, nn.ids, k * opts.searchWidth, k);
    for (let i = 0; i < n; i++) {
      const quarter = Math.min(3, Math.floor((4 * (from + i)) / order.length));
      const truth = ds.test[order[from + i]!]!.quality;
      for (let m = 0; m < M; m++) {
        const t = truth[m]!;
        if (Number.isNaN(t)) continue;
        totals.maeSum[quarter]! += Math.abs(raw.quality[i * M + m]! - t);
        totals.maeCount[quarter]! += 1;
      }
    }
    const batch = fb ? fb.adjust(raw, feats, alpha) : raw;
    const decisions = policy.chooseBatch(batch, opts.kernel);
    decisions.forEach((d, i) => {
      if (d.kind !== 'route') return;
      const pos = from + i;
      const j = order[pos]!;
      const c = ds.test[j]!.cost[d.model]!;
      const q = ds.test[j]!.quality[d.model]!;
      if (Number.isNaN(c) || !ledger.serve(d.model, c).served) {
        policy.recordLost({ model: d.model, reservedCost: d.reservedCost });
        return;
      }
      const quality = Number.isNaN(q) ? 0 : q;
      totals.performance += quality;
      totals.cost += c;
      totals.served++;
      totals.quarters[Math.min(3, Math.floor((4 * pos) / order.length))]! += quality;
      policy.recordOutcome({ model: d.model, cost: c, quality, reservedCost: d.reservedCost });
      if (!fb) return;
      const cell = i * M + d.model;
      const id = fb.observe({
        model: d.model,
        predicted: { quality: raw.quality[cell]!, cost: raw.cost[cell]!, tokens: raw.tokens[cell]!, qualityAll: raw.quality.subarray(i * M, (i + 1) * M) },
        observed: { quality: q, cost: c, tokens: ds.test[j]!.tokens[d.model]! },
        features: feats.subarray(i * F, (i + 1) * F),
      });
      const rowId = oracleRows === 'served' ? appendTruth(j) : id;
      if (rowId !== null) {
        // Row ids of the reference set and the index must stay aligned.
        const at = index.add(qv.subarray(i * dim, (i + 1) * dim));
        if (at !== rowId) throw new Error(`index row ${at} != reference row ${rowId}`);
      }
    });
    if (oracleRows === 'all') {
      for (let i = 0; i < n; i++) {
        const at = index.add(qv.subarray(i * dim, (i + 1) * dim));
        if (at !== appendTruth(order[from + i]!)) throw new Error(`index row ${at} out of step with the reference set`);
      }
    }
  }
  totals.appended = (fb?.appended ?? 0) + oracleAppended;
  totals.exceeded = ledger.exceeded();
  return totals;
}

function coldSize(ds: Dataset, opts: FeedbackBenchOptions): number {
  return Math.max(1, Math.round(opts.coldFraction * ds.history.length));
}

export function stat(xs: readonly number[]): Stat {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, sd };
}

export async function runFeedbackBench(ds: Dataset, opts: FeedbackBenchOptions): Promise<FeedbackReport> {
  const M = ds.models.length;
  // The embedder's IDF is fitted on the history's prompts (text only, no outcomes), identically
  // for every variant, so the variants differ only in the outcomes they know.
  const embedder = createHashingEmbedder().fit(ds.history.map((q) => q.prompt));
  const historyVectors = embedder.embedBatch(ds.history.map((q) => q.prompt));
  const testVectors = embedder.embedBatch(ds.test.map((q) => q.prompt));
  const projection = new RandomProjection(embedder.dim, DEFAULT_FEEDBACK_OPTIONS.ucb.dim, 17);
  const testFeatures = projection.projectBatch(testVectors, ds.test.length);
  const trueCost = rowsOf(ds.test, M).cost;
  const fullHistory = ReferenceSet.fromArrays(ds.models, rowsOf(ds.history, M));
  // Budgets as BENCHMARK.md: B from the test stream's true costs, split on the full history's
  // means, identical for every variant (a cold start changes what the router knows, not its budget).
  const budgets = splitBudget(totalBudget(opts.factor, trueCost, M), opts.split, {
    quality: fullHistory.globalMeans('quality'),
    cost: fullHistory.globalMeans('cost'),
  });
  const shared: Shared = {
    ds,
    M,
    dim: embedder.dim,
    historyVectors,
    testVectors,
    testFeatures,
    featureDim: projection.dim,
    budgets,
    solver: await loadHighsSolver(),
  };
  const variants: Partial<Record<Variant, VariantResult>> = {};
  for (const v of opts.variants ?? VARIANTS) {
    const runs: RunTotals[] = [];
    for (const seed of opts.seeds) runs.push(await runOne(shared, v, seed, opts));
    variants[v] = {
      performance: stat(runs.map((r) => r.performance)),
      cost: stat(runs.map((r) => r.cost)),
      served: stat(runs.map((r) => r.served)),
      efficiency: stat(runs.map((r) => (r.cost > 0 ? r.performance / r.cost : 0))),
      quarters: [0, 1, 2, 3].map((qi) => stat(runs.map((r) => r.quarters[qi]!))),
      estimateMae: [0, 1, 2, 3].map((qi) => stat(runs.map((r) => r.maeSum[qi]! / Math.max(1, r.maeCount[qi]!)))),
      appended: stat(runs.map((r) => r.appended)),
      budgetExceeded: runs.some((r) => r.exceeded),
      perSeed: runs.map((r) => r.performance),
    };
  }
  const paired: FeedbackReport['paired'] = {};
  for (const v of VARIANTS) {
    const a = variants[v];
    if (a && variants.off && v !== 'off' && v !== 'warm') paired[`${v} - off`] = pairedDiff(a.perSeed, variants.off.perSeed);
  }
  if (variants.on && variants.warm) paired['on - warm'] = pairedDiff(variants.on.perSeed, variants.warm.perSeed);
  return {
    dataset: ds.name,
    factor: opts.factor,
    split: opts.split,
    seeds: opts.seeds.length,
    firstSeed: opts.seeds[0] ?? 0,
    nHistory: ds.history.length,
    nCold: coldSize(ds, opts),
    nTest: ds.test.length,
    coldFraction: opts.coldFraction,
    k: RESOLVING_DUAL_ESTIMATOR.k,
    batchSize: opts.batchSize,
    embedder: embedder.name,
    beta: opts.beta,
    searchWidth: opts.searchWidth,
    feedback: onOptions(opts),
    variants,
    paired,
  };
}

/** Two-sided 97.5% quantiles of Student's t for 1..30 degrees of freedom; the normal 1.96 beyond. */
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

/** Mean of a - b over paired seeds with a 95% t interval (degenerate with a single seed). */
export function pairedDiff(a: readonly number[], b: readonly number[]): PairedDiff {
  if (a.length !== b.length || a.length === 0) throw new Error('paired differences need the same, non-empty seeds');
  const d = a.map((x, i) => x - b[i]!);
  const { mean, sd } = stat(d);
  const half = d.length > 1 ? (T975[d.length - 2] ?? 1.96) * (sd / Math.sqrt(d.length)) : 0;
  return { perSeed: d, mean, ci95: [mean - half, mean + half] };
}

const fmt = (s: Stat, digits: number): string => `${s.mean.toFixed(digits)} ± ${s.sd.toFixed(digits)}`;

export function formatFeedbackReport(r: FeedbackReport): string {
  const header = ['variant', 'performance', 'Q1', 'Q2', 'Q3', 'Q4', 'cost (USD)', 'served', 'efficiency', 'rows added', 'MAE d^ Q1', 'MAE d^ Q4', 'exceeded'];
  const rows = VARIANTS.filter((v) => r.variants[v]).map((v) => {
    const m = r.variants[v]!;
    return [v, fmt(m.performance, 1), ...m.quarters.map((q) => fmt(q, 1)), fmt(m.cost, 4), fmt(m.served, 1), fmt(m.efficiency, 0), m.appended.mean.toFixed(0), m.estimateMae[0]!.mean.toFixed(4), m.estimateMae[3]!.mean.toFixed(4), m.budgetExceeded ? 'YES' : 'no'];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [
    `dataset ${r.dataset}: factor ${r.factor}, split ${r.split}, ${r.seeds} seeds from ${r.firstSeed}, nTest ${r.nTest}, history ${r.nHistory} (cold start: ${r.nCold} rows)`,
    `policy resolving-dual, exact k-NN k ${r.k} per model of ${r.k * r.searchWidth} searched, batch ${r.batchSize}, embedder ${r.embedder}, bonus beta (on-bonus) ${r.beta}`,
    '',
    line(header),
    `|${widths.map((w, i) => (i === 0 ? ':' : '') + '-'.repeat(w + 1) + (i === 0 ? '' : ':')).join('|')}|`,
    ...rows.map(line),
    '',
    ...Object.entries(r.paired).map(([key, p]) => {
      const [lo, hi] = p.ci95;
      return `paired ${key.padEnd(Math.max(...Object.keys(r.paired).map((k) => k.length)))}: mean ${p.mean.toFixed(1)}, 95% CI [${lo.toFixed(1)}, ${hi.toFixed(1)}], per seed ${p.perSeed.map((x) => x.toFixed(0)).join(' ')}`;
    }),
  ].join('\n');
}
