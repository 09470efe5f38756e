// Feedback under change (README, "Feedback under change"): each scenario of scenarios.ts is
// streamed through `resolving-dual` with the protocol of bench:quality (budgets from the stream's
// true costs split on the history's means, serving rule, outcomes after each batch) by three
// variants on the same seeds: `off` (the start knowledge frozen), `on` (FeedbackModel with
// DEFAULT_FEEDBACK_OPTIONS, the code the router runs) and `oracle` (no feedback, but a reference
// set that holds the truth at every moment). Neighbour searches of the stream against the start
// knowledge are done once per seed and shared by the variants; `on` searches only its appended rows
// per batch and merges them in (exactly what a search over the grown index returns).
import { createIndex } from '@switchyard/ann';
import type { Dataset } from '@switchyard/datasets';
import { createHashingEmbedder } from '@switchyard/embedding';
import {
  BudgetLedger,
  createPolicy,
  DEFAULT_FEEDBACK_OPTIONS,
  estimatePerModel,
  FeedbackModel,
  loadHighsSolver,
  RESOLVING_DUAL_ESTIMATOR,
  RandomProjection,
  ReferenceSet,
  splitBudget,
  totalBudget,
  type BudgetSplit,
  type EstimateBatch,
  type FeedbackOptions,
  type LpSolver,
  type ScoreKernel,
} from '@switchyard/routing-core';
import { pairedDiff, stat, type PairedDiff, type Stat } from './run.ts';
import { buildWorld, SCENARIOS, type Knowledge, type ScenarioName, type World } from './scenarios.ts';
import { overspent } from './overspend.ts';
import { mergeNeighbours } from '../quality/deployed.ts';

export const SCENARIO_VARIANTS = ['off', 'on', 'oracle'] as const;
export type ScenarioVariant = (typeof SCENARIO_VARIANTS)[number];

export interface ScenarioVariantResult {
  performance: Stat;
  served: Stat;
  /** Queries the policy routed that the serving rule refused (the model's budget could not pay). */
  lost: Stat;
  cost: Stat;
  /** Queries served by the models the scenario changes (new-model: the new one). */
  changedServed: Stat;
  quarters: Stat[];
  /** Performance on the test segment (cold-incomplete: after the unused history; else the whole stream). */
  testSegment: Stat;
  perSeed: number[];
  budgetExceeded: boolean;
  /** Share of the served queries that the changed model served, before and from the change (price and regression scenarios). */
  changedShareBefore: Stat;
  changedShareAfter: Stat;
  /**
   * Price scenarios, `on` only: outcomes of the changed model after the change until its observed
   * cost ratio (CostCorrection.ratio, the router's router_feedback_observed_cost_ratio) first went
   * half the way to the new price on a log scale (x sqrt(factor) of its value at the change),
   * over the seeds where it did; `followReached` counts those seeds.
   */
  followOutcomes: Stat | null;
  followReached: number;
}

export interface ScenarioResult {
  nStream: number;
  testFrom: number;
  changeAt: number | null;
  changedModels: string[];
  variants: Record<ScenarioVariant, ScenarioVariantResult>;
  onMinusOff: PairedDiff;
  /** (on - off) / (oracle - off) of mean performance; null when the oracle is no better than off. */
  gapClosed: number | null;
  /** The same on the test segment (differs from the above only in cold-incomplete). */
  testSegment: { onMinusOff: PairedDiff; gapClosed: number | null };
}

export interface ScenarioReport {
  dataset: string;
  factor: number;
  split: BudgetSplit;
  seeds: number;
  firstSeed: number;
  batchSize: number;
  k: number;
  searchWidth: number;
  embedder: string;
  feedback: FeedbackOptions;
  scenarios: Partial<Record<ScenarioName, ScenarioResult>>;
}

export interface ScenarioBenchOptions {
  factor: number;
  split: BudgetSplit;
  seeds: readonly number[];
  batchSize: number;
  searchWidth: number;
  scenarios: readonly ScenarioName[];
  /** History rows cold-incomplete starts from (default COLD_ROWS). */
  coldRows?: number;
  /** Options of `on`; DEFAULT_FEEDBACK_OPTIONS when absent (what the router runs). */
  feedback?: FeedbackOptions;
  kernel?: ScoreKernel;
  /** Called after each (scenario, seed) with a line of progress. */
  progress?: (line: string) => void;
}

/** Embeddings and neighbour lists that every scenario and seed shares. */
export interface Shared {
  ds: Dataset;
  M: number;
  dim: number;
  S: number;
  historyVectors: Float32Array;
  testVectors: Float32Array;
  historyFeatures: Float64Array;
  testFeatures: Float64Array;
  featureDim: number;
  /** Each test query's S nearest history rows, and each history query's (itself excluded). */
  testNN: { ids: Int32Array; scores: Float32Array };
  historyNN: { ids: Int32Array; scores: Float32Array };
  solver: LpSolver;
}

interface Totals {
  performance: number;
  served: number;
  lost: number;
  cost: number;
  changedServed: number;
  quarters: number[];
  testSegment: number;
  exceeded: boolean;
  servedBefore: number;
  changedBefore: number;
  servedAfter: number;
  changedAfter: number;
  /** NaN: not measured or not reached. */
  follow: number;
}

function searchExcludingSelf(index: ReturnType<typeof createIndex>, vectors: Float32Array, n: number, S: number) {
  const r = index.searchBatch(vectors, S + 1);
  const ids = new Int32Array(n * S);
  const scores = new Float32Array(n * S);
  for (let i = 0; i < n; i++) {
    let c = 0;
    for (let j = 0; j <= S && c < S; j++) {
      const id = r.ids[i * (S + 1) + j]!;
      if (id === i) continue;
      ids[i * S + c] = id;
      scores[i * S + c] = r.scores[i * (S + 1) + j]!;
      c++;
    }
  }
  return { ids, scores };
}

/** Neighbour lists of the stream against a knowledge set (ids are its row numbers). */
export function streamNeighbours(s: Shared, w: World, k: Knowledge): { ids: Int32Array; scores: Float32Array } {
  const N = w.stream.length;
  const S = s.S;
  const ids = new Int32Array(N * S);
  const scores = new Float32Array(N * S);
  const isFull = k.history.length === s.ds.history.length && k.history.every((h, i) => h === i);
  if (isFull) {
    // Rows are the whole history in order: the shared lists apply as they are.
    const testIndex = new Map(s.ds.test.map((q, j) => [q, j]));
    for (let p = 0; p < N; p++) {
      const h = w.streamHistoryIndex[p]!;
      const src = h >= 0 ? s.historyNN : s.testNN;
      const at = h >= 0 ? h : testIndex.get(w.stream[p]!)!;
      ids.set(src.ids.subarray(at * S, (at + 1) * S), p * S);
      scores.set(src.scores.subarray(at * S, (at + 1) * S), p * S);
    }
    return { ids, scores };
  }
  const index = createIndex('exact', { dim: s.dim, capacity: k.history.length });
  const rows = new Float32Array(k.history.length * s.dim);
  k.history.forEach((h, i) => rows.set(s.historyVectors.subarray(h * s.dim, (h + 1) * s.dim), i * s.dim));
  index.add(rows);
  const r = index.searchBatch(streamVectors(s, w), S);
  return { ids: r.ids, scores: r.scores };
}

export function streamVectors(s: Shared, w: World): Float32Array {
  const out = new Float32Array(w.stream.length * s.dim);
  const testIndex = new Map(s.ds.test.map((q, j) => [q, j]));
  w.stream.forEach((q, p) => {
    const h = w.streamHistoryIndex[p]!;
    const src = h >= 0 ? s.historyVectors : s.testVectors;
    const at = h >= 0 ? h : testIndex.get(q)!;
    out.set(src.subarray(at * s.dim, (at + 1) * s.dim), p * s.dim);
  });
  return out;
}

export function streamFeatures(s: Shared, w: World): Float64Array {
  const F = s.featureDim;
  const out = new Float64Array(w.stream.length * F);
  const testIndex = new Map(s.ds.test.map((q, j) => [q, j]));
  w.stream.forEach((q, p) => {
    const h = w.streamHistoryIndex[p]!;
    const src = h >= 0 ? s.historyFeatures : s.testFeatures;
    const at = h >= 0 ? h : testIndex.get(q)!;
    out.set(src.subarray(at * F, (at + 1) * F), p * F);
  });
  return out;
}

function slice(e: EstimateBatch, from: number, to: number): EstimateBatch {
  const M = e.nModels;
  return {
    nQueries: to - from,
    nModels: M,
    quality: e.quality.slice(from * M, to * M),
    cost: e.cost.slice(from * M, to * M),
    tokens: e.tokens.slice(from * M, to * M),
    support: e.support.slice(from * M, to * M),
  };
}

export interface SeedContext {
  world: World;
  budgets: Float64Array;
  vectors: Float32Array;
  features: Float64Array;
  startNN: { ids: Int32Array; scores: Float32Array };
  oracleNN: Int32Array;
}

export async function runVariant(s: Shared, c: SeedContext, variant: ScenarioVariant, opts: ScenarioBenchOptions): Promise<Totals> {
  const { world: w, budgets } = c;
  const { M, S, dim } = s;
  const { k } = RESOLVING_DUAL_ESTIMATOR;
  const N = w.stream.length;
  const oracle = variant === 'oracle';
  const ref = ReferenceSet.fromArrays(s.ds.models, oracle ? w.oracle.before.rows : w.start.rows);
  const fb = variant === 'on' ? new FeedbackModel(ref, opts.feedback ?? DEFAULT_FEEDBACK_OPTIONS) : null;
  const baseRows = ref.size;
  const appended = createIndex('exact', { dim, capacity: N });
  let switched = false;
  let staticEst: EstimateBatch | null = oracle ? estimatePerModel(ref, c.oracleNN, S, k) : variant === 'off' ? estimatePerModel(ref, c.startNN.ids, S, k) : null;
  const policy = await createPolicy({ policy: 'resolving-dual' }, { budgets, streamLength: N, solver: s.solver });
  const alpha = policy.pricing().alpha;
  const ledger = new BudgetLedger(budgets);
  const spent = new Float64Array(M);
  const t: Totals = { performance: 0, served: 0, lost: 0, cost: 0, changedServed: 0, quarters: [0, 0, 0, 0], testSegment: 0, exceeded: false, servedBefore: 0, changedBefore: 0, servedAfter: 0, changedAfter: 0, follow: Number.NaN };
  // The follow figure: the changed model's observed cost ratio against its value at the change.
  const tracked = fb && w.priceFactor !== null && w.changed.length === 1 ? w.changed[0]! : -1;
  let ratioAtChange = Number.NaN;
  let outcomesAfter = 0;
  const F = s.featureDim;
  for (let from = 0; from < N; from += opts.batchSize) {
    const to = Math.min(N, from + opts.batchSize);
    const n = to - from;
    if (oracle && !switched && from >= w.changeAt) {
      switched = true;
      // The oracle learns the change the moment it happens: its rows switch to the changed values.
      staticEst = estimatePerModel(ReferenceSet.fromArrays(s.ds.models, w.oracle.after.rows), c.oracleNN, S, k);
    }
    let raw: EstimateBatch;
    if (staticEst) raw = slice(staticEst, from, to);
    else {
      const base = { ids: c.startNN.ids.subarray(from * S, to * S), scores: c.startNN.scores.subarray(from * S, to * S) };
      const ids = appended.size > 0 ? mergeNeighbours(base, appended.searchBatch(c.vectors.subarray(from * dim, to * dim), S), n, S, baseRows) : base.ids;
      raw = estimatePerModel(ref, ids, S, k);
    }
    const feats = c.features.subarray(from * F, to * F);
    const batch = fb ? fb.adjust(raw, feats, alpha) : raw;
    if (tracked >= 0 && Number.isNaN(ratioAtChange) && to > w.changeAt) ratioAtChange = fb!.costs.ratio('cost', tracked);
    const decisions = policy.chooseBatch(batch, opts.kernel);
    decisions.forEach((d, i) => {
      if (d.kind !== 'route') return;
      const pos = from + i;
      const cell = pos * M + d.model;
      const cost = w.truth.cost[cell]!;
      const q = w.truth.quality[cell]!;
      if (Number.isNaN(cost) || !ledger.serve(d.model, cost).served) {
        t.lost++;
        policy.recordLost({ model: d.model, reservedCost: d.reservedCost });
        return;
      }
      const quality = Number.isNaN(q) ? 0 : q;
      spent[d.model]! += cost;
      t.performance += quality;
      t.cost += cost;
      t.served++;
      const isChanged = w.changed.includes(d.model);
      if (isChanged) t.changedServed++;
      if (pos < w.changeAt) {
        t.servedBefore++;
        if (isChanged) t.changedBefore++;
      } else {
        t.servedAfter++;
        if (isChanged) t.changedAfter++;
      }
      t.quarters[Math.min(3, Math.floor((4 * pos) / N))]! += quality;
      if (pos >= w.testFrom) t.testSegment += quality;
      policy.recordOutcome({ model: d.model, cost, quality, reservedCost: d.reservedCost });
      if (!fb) return;
      const rc = i * M + d.model;
      const id = fb.observe({
        model: d.model,
        predicted: { quality: raw.quality[rc]!, cost: raw.cost[rc]!, tokens: raw.tokens[rc]!, qualityAll: raw.quality.subarray(i * M, (i + 1) * M), costAll: raw.cost.subarray(i * M, (i + 1) * M) },
        observed: { quality: q, cost, tokens: w.truth.tokens[cell]! },
        features: feats.subarray(i * F, (i + 1) * F),
      });
      if (id !== null) {
        const at = baseRows + appended.add(c.vectors.subarray(pos * dim, (pos + 1) * dim));
        if (at !== id) throw new Error(`appended index row ${at} != reference row ${id}`);
      }
      if (d.model === tracked && pos >= w.changeAt && Number.isNaN(t.follow)) {
        outcomesAfter++;
        const r = fb.costs.ratio('cost', tracked);
        if (crossed(ratioAtChange, r, w.priceFactor!)) t.follow = outcomesAfter;
      }
    });
  }
  // Checked on the bench's own tally of served costs, not on the ledger's word.
  t.exceeded = overspent(spent, budgets);
  return t;
}

/** Half the way from the ratio at the change to the new price, on a log scale. */
function crossed(atChange: number, now: number, factor: number): boolean {
  const target = atChange * Math.sqrt(factor);
  return factor >= 1 ? now >= target : now <= target;
}

export async function prepareShared(ds: Dataset, opts: ScenarioBenchOptions): Promise<Shared & { embedder: string }> {
  const M = ds.models.length;
  const embedder = createHashingEmbedder().fit(ds.history.map((q) => q.prompt));
  const historyVectors = embedder.embedBatch(ds.history.map((q) => q.prompt));
  const testVectors = embedder.embedBatch(ds.test.map((q) => q.prompt));
  const S = RESOLVING_DUAL_ESTIMATOR.k * opts.searchWidth;
  const index = createIndex('exact', { dim: embedder.dim, capacity: ds.history.length });
  index.add(historyVectors);
  const testNN = index.searchBatch(testVectors, S);
  const historyNN = searchExcludingSelf(index, historyVectors, ds.history.length, S);
  const fbDim = (opts.feedback ?? DEFAULT_FEEDBACK_OPTIONS).ucb.dim;
  const projection = new RandomProjection(embedder.dim, fbDim, 17);
  return {
    ds,
    M,
    dim: embedder.dim,
    S,
    historyVectors,
    testVectors,
    historyFeatures: projection.projectBatch(historyVectors, ds.history.length),
    testFeatures: projection.projectBatch(testVectors, ds.test.length),
    featureDim: projection.dim,
    testNN: { ids: testNN.ids, scores: testNN.scores },
    historyNN,
    solver: await loadHighsSolver(),
    embedder: embedder.name,
  };
}

function summarise(runs: readonly Totals[]): ScenarioVariantResult {
  return {
    performance: stat(runs.map((r) => r.performance)),
    served: stat(runs.map((r) => r.served)),
    lost: stat(runs.map((r) => r.lost)),
    cost: stat(runs.map((r) => r.cost)),
    changedServed: stat(runs.map((r) => r.changedServed)),
    quarters: [0, 1, 2, 3].map((qi) => stat(runs.map((r) => r.quarters[qi]!))),
    testSegment: stat(runs.map((r) => r.testSegment)),
    perSeed: runs.map((r) => r.performance),
    budgetExceeded: runs.some((r) => r.exceeded),
    changedShareBefore: stat(runs.map((r) => (r.servedBefore > 0 ? r.changedBefore / r.servedBefore : 0))),
    changedShareAfter: stat(runs.map((r) => (r.servedAfter > 0 ? r.changedAfter / r.servedAfter : 0))),
    followOutcomes: runs.some((r) => !Number.isNaN(r.follow)) ? stat(runs.filter((r) => !Number.isNaN(r.follow)).map((r) => r.follow)) : null,
    followReached: runs.filter((r) => !Number.isNaN(r.follow)).length,
  };
}

function gap(on: number, off: number, oracle: number): number | null {
  return oracle - off > 1e-9 ? (on - off) / (oracle - off) : null;
}

async function runScenario(s: Shared, name: ScenarioName, opts: ScenarioBenchOptions): Promise<ScenarioResult> {
  const runs: Record<ScenarioVariant, Totals[]> = { off: [], on: [], oracle: [] };
  let world: World | null = null;
  for (const seed of opts.seeds) {
    const w = buildWorld(s.ds, name, seed, opts.coldRows);
    world = w;
    const budgets = splitBudget(totalBudget(opts.factor, w.truth.cost, s.M), opts.split, w.historyMeans);
    const ctx: SeedContext = {
      world: w,
      budgets,
      vectors: streamVectors(s, w),
      features: streamFeatures(s, w),
      startNN: streamNeighbours(s, w, w.start),
      oracleNN: streamNeighbours(s, w, w.oracle.before).ids,
    };
    for (const v of SCENARIO_VARIANTS) runs[v].push(await runVariant(s, ctx, v, opts));
    opts.progress?.(`${name} seed ${seed}: ${SCENARIO_VARIANTS.map((v) => `${v} ${runs[v].at(-1)!.performance.toFixed(0)}`).join(', ')}`);
  }
  const variants = { off: summarise(runs.off), on: summarise(runs.on), oracle: summarise(runs.oracle) };
  const seg = (v: ScenarioVariant): number[] => runs[v].map((r) => r.testSegment);
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    nStream: world!.stream.length,
    testFrom: world!.testFrom,
    changeAt: Number.isFinite(world!.changeAt) ? world!.changeAt : null,
    changedModels: world!.changed.map((m) => s.ds.models[m]!),
    variants,
    onMinusOff: pairedDiff(variants.on.perSeed, variants.off.perSeed),
    gapClosed: gap(variants.on.performance.mean, variants.off.performance.mean, variants.oracle.performance.mean),
    testSegment: {
      onMinusOff: pairedDiff(seg('on'), seg('off')),
      gapClosed: gap(mean(seg('on')), mean(seg('off')), mean(seg('oracle'))),
    },
  };
}

export async function runScenarioBench(ds: Dataset, opts: ScenarioBenchOptions): Promise<ScenarioReport> {
  const s = await prepareShared(ds, opts);
  const scenarios: ScenarioReport['scenarios'] = {};
  for (const name of opts.scenarios) scenarios[name] = await runScenario(s, name, opts);
  return {
    dataset: ds.name,
    factor: opts.factor,
    split: opts.split,
    seeds: opts.seeds.length,
    firstSeed: opts.seeds[0] ?? 0,
    batchSize: opts.batchSize,
    k: RESOLVING_DUAL_ESTIMATOR.k,
    searchWidth: opts.searchWidth,
    embedder: s.embedder,
    feedback: opts.feedback ?? DEFAULT_FEEDBACK_OPTIONS,
    scenarios,
  };
}

export { SCENARIOS };
