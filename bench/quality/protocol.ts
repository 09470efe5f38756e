// The routing quality protocol of BENCHMARK.md (PORT, arXiv 2509.02718, Sec. 5): every method
// routes the same shuffled test stream, over the same k-NN estimates and budgets, and is scored
// by the same serving rule. Pure over a loaded dataset, so tests can drive it on tiny data.
import { createIndex, type AnnIndex, type IndexKind } from '@switchyard/ann';
import { runUsdBudget, summariseQuotes, type QuoteAccuracy, type UsdQuoteRun } from './usd.ts';
import { DEPLOYED, runDeployed } from './deployed.ts';
import { overspent } from '../feedback/overspend.ts';
import type { Dataset } from '@switchyard/datasets';
import { createHashingEmbedder } from '@switchyard/embedding';
import {
  BudgetLedger,
  createPolicy,
  createRng,
  DEFAULT_FEEDBACK_OPTIONS,
  estimateBatchOf,
  estimateFromNeighbours,
  loadHighsSolver,
  RandomProjection,
  RESOLVING_DUAL_ESTIMATOR,
  ReferenceSet,
  roundByArgmax,
  shuffledIndices,
  solveAssignmentLp,
  splitBudget,
  totalBudget,
  type BudgetSplit,
  type Decision,
  type EstimateBatch,
  type LpSolver,
  type NeighbourWeighting,
  type PolicyConfigInput,
  type ScoreKernel,
} from '@switchyard/routing-core';

export const METHOD_NAMES = ['random', 'greedy-perf', 'greedy-cost', 'knn-perf', 'knn-cost', 'port', 'resolving-dual', 'deployed', 'usd-budget', 'est-opt', 'opt'] as const;
/** The project's router as it runs (BENCHMARK.md "Ours"): the report's `primary`. */
export const PRIMARY_METHOD = 'deployed' satisfies MethodName;
export type MethodName = (typeof METHOD_NAMES)[number];

export interface Stat {
  mean: number;
  sd: number;
}

export interface MethodResult {
  performance: Stat;
  cost: Stat;
  served: Stat;
  /** Queries the method routed that the serving rule refused (its model's budget could not pay). */
  lost: Stat;
  efficiency: Stat;
  budgetExceeded: boolean;
  decisionsPerSecond: number;
}

/** The JSON shape of BENCHMARK.md, one per (factor, split). */
export interface QualityReport {
  /** The method that is the project's router as deployed. */
  primary: MethodName;
  dataset: string;
  factor: number;
  split: BudgetSplit;
  seeds: number;
  nTest: number;
  nHistory: number;
  embedder: string;
  coptLpValue: number;
  methods: Record<MethodName, MethodResult>;
  /** usd-budget's quote (estimates of the models it chose) against what it realised (true values). */
  usdQuote: QuoteAccuracy;
}

export interface ProtocolOptions {
  factors: readonly number[];
  splits: readonly BudgetSplit[];
  seeds: readonly number[];
  /** Neighbours per query (PORT: 5). */
  k: number;
  /** Index behind the ANN estimates of greedy-*, port and primary (knn-* always use 'exact'). */
  annKind: IndexKind;
  weighting: NeighbourWeighting;
  /** The estimator of `resolving-dual` (the router's own configuration); default RESOLVING_DUAL_ESTIMATOR. */
  primaryK?: number;
  primaryWeighting?: NeighbourWeighting;
  /** Queries decided per call, as the pipeline batches them; outcomes return after each batch. */
  batchSize: number;
  /** Overrides of the `resolving-dual` config (tuning); defaults otherwise. */
  primary?: Omit<Extract<PolicyConfigInput, { policy: 'resolving-dual' }>, 'policy'>;
  kernel?: ScoreKernel;
  /** Queries per second of the `deployed` row's virtual clock (its re-solve cap); default DEFAULT_ARRIVAL_RATE. */
  arrivalRatePerSecond?: number;
}

/** A batch job submitted at 100 queries a second: one re-solve per ~100 queries under the router's 1 s cap. */
export const DEFAULT_ARRIVAL_RATE = 100;

/** Estimates and truths of one dataset, computed once and shared by every run. */
export interface Prepared {
  dataset: string;
  models: readonly string[];
  nHistory: number;
  nTest: number;
  embedder: string;
  ann: EstimateBatch;
  exact: EstimateBatch;
  /** ANN estimates with resolving-dual's own k and weighting. */
  primary: EstimateBatch;
  trueQuality: Float64Array;
  trueCost: Float64Array;
  historyMeans: { quality: Float64Array; cost: Float64Array };
  /** Largest cost each model had in the history: the dollar-budget method's worst case. */
  historyMaxCost: Float64Array;
  trueTokens: Float64Array;
  /** What the `deployed` row routes from: the router's index searched k x widen wide, the history's rows, query features. */
  deployed: {
    dim: number;
    testVectors: Float32Array;
    neighbours: { ids: Int32Array; scores: Float32Array };
    historyRows: { quality: Float64Array; cost: Float64Array; tokens: Float64Array };
    features: Float64Array;
    featureDim: number;
  };
}

function flatten(rows: readonly { quality: Float64Array; cost: Float64Array; tokens: Float64Array }[], M: number) {
  const quality = new Float64Array(rows.length * M);
  const cost = new Float64Array(rows.length * M);
  const tokens = new Float64Array(rows.length * M);
  rows.forEach((r, i) => {
    quality.set(r.quality, i * M);
    cost.set(r.cost, i * M);
    tokens.set(r.tokens, i * M);
  });
  return { quality, cost, tokens };
}

function neighbours(index: AnnIndex, queries: Float32Array, k: number) {
  return index.searchBatch(queries, k);
}

export function prepare(ds: Dataset, opts: Pick<ProtocolOptions, 'k' | 'annKind' | 'weighting' | 'primaryK' | 'primaryWeighting'>): Prepared {
  const M = ds.models.length;
  const embedder = createHashingEmbedder().fit(ds.history.map((q) => q.prompt));
  const hv = embedder.embedBatch(ds.history.map((q) => q.prompt));
  const tv = embedder.embedBatch(ds.test.map((q) => q.prompt));
  const ref = ReferenceSet.fromArrays(ds.models, flatten(ds.history, M));
  const indexes = new Map<IndexKind, AnnIndex>();
  const estimate = (kind: IndexKind, k: number, weighting: NeighbourWeighting): EstimateBatch => {
    let index = indexes.get(kind);
    if (!index) {
      index = createIndex(kind, { dim: embedder.dim, capacity: ds.history.length });
      index.add(hv);
      indexes.set(kind, index);
    }
    const nn = neighbours(index, tv, k);
    return estimateFromNeighbours(ref, nn.ids, { k, scores: nn.scores, weighting });
  };
  const truth = flatten(ds.test, M);
  const routerIndex = createIndex('usearch', { dim: embedder.dim, capacity: ds.history.length });
  routerIndex.add(hv);
  const projection = new RandomProjection(embedder.dim, DEFAULT_FEEDBACK_OPTIONS.ucb.dim, 1);
  return {
    dataset: ds.name,
    models: ds.models,
    nHistory: ds.history.length,
    nTest: ds.test.length,
    embedder: embedder.name,
    ann: estimate(opts.annKind, opts.k, opts.weighting),
    exact: estimate('exact', opts.k, opts.weighting),
    primary: estimate(opts.annKind, opts.primaryK ?? RESOLVING_DUAL_ESTIMATOR.k, opts.primaryWeighting ?? RESOLVING_DUAL_ESTIMATOR.weighting),
    trueQuality: truth.quality,
    trueCost: truth.cost,
    historyMeans: { quality: ref.globalMeans('quality'), cost: ref.globalMeans('cost') },
    historyMaxCost: Float64Array.from({ length: M }, (_, m) => ds.history.reduce((a, q) => (Number.isNaN(q.cost[m]!) ? a : Math.max(a, q.cost[m]!)), 0)),
    trueTokens: truth.tokens,
    deployed: {
      dim: embedder.dim,
      testVectors: tv,
      neighbours: neighbours(routerIndex, tv, RESOLVING_DUAL_ESTIMATOR.k * DEPLOYED.widen),
      historyRows: flatten(ds.history, M),
      features: projection.projectBatch(tv, ds.test.length),
      featureDim: projection.dim,
    },
  };
}

export interface RunTotals {
  performance: number;
  cost: number;
  served: number;
  lost: number;
  exceeded: boolean;
  decideMs: number;
}

function gather(src: EstimateBatch, order: Int32Array, from: number, to: number): EstimateBatch {
  const M = src.nModels;
  const q = new Float64Array((to - from) * M);
  const c = new Float64Array((to - from) * M);
  const t = new Float64Array((to - from) * M);
  for (let i = from; i < to; i++) {
    const j = order[i]!;
    q.set(src.quality.subarray(j * M, (j + 1) * M), (i - from) * M);
    c.set(src.cost.subarray(j * M, (j + 1) * M), (i - from) * M);
    t.set(src.tokens.subarray(j * M, (j + 1) * M), (i - from) * M);
  }
  return estimateBatchOf(M, q, c, t);
}

/** Serving rule, identical for every method: served iff spent_m + c_mj <= B_m; missing quality counts 0. */
function serveOne(p: Prepared, ledger: ServingLedger, j: number, model: number): { served: boolean; cost: number; quality: number } {
  const M = p.models.length;
  const c = p.trueCost[j * M + model]!;
  const q = p.trueQuality[j * M + model]!;
  if (Number.isNaN(c) || !ledger.serve(model, c).served) return { served: false, cost: c, quality: 0 };
  return { served: true, cost: c, quality: Number.isNaN(q) ? 0 : q };
}

/** What the serving rule charges against; BudgetLedger in every report (tests swap in a faulty one). */
export interface ServingLedger {
  serve(model: number, trueCost: number): { served: boolean };
}

export async function runPolicy(
  p: Prepared,
  config: PolicyConfigInput,
  estimates: EstimateBatch,
  budgets: Float64Array,
  order: Int32Array,
  opts: ProtocolOptions,
  solver: LpSolver,
  ledger: ServingLedger = new BudgetLedger(budgets),
): Promise<RunTotals> {
  const policy = await createPolicy(config, { budgets, streamLength: p.nTest, solver });
  const spent = new Float64Array(p.models.length);
  const totals: RunTotals = { performance: 0, cost: 0, served: 0, lost: 0, exceeded: false, decideMs: 0 };
  for (let from = 0; from < order.length; from += opts.batchSize) {
    const to = Math.min(order.length, from + opts.batchSize);
    const batch = gather(estimates, order, from, to);
    const t0 = performance.now();
    const decisions: Decision[] = policy.chooseBatch(batch, opts.kernel);
    totals.decideMs += performance.now() - t0;
    decisions.forEach((d, i) => {
      if (d.kind !== 'route') return;
      const r = serveOne(p, ledger, order[from + i]!, d.model);
      if (r.served) {
        spent[d.model]! += r.cost;
        totals.performance += r.quality;
        totals.cost += r.cost;
        totals.served++;
        policy.recordOutcome({ model: d.model, cost: r.cost, quality: r.quality, reservedCost: d.reservedCost });
      } else {
        totals.lost++;
        policy.recordLost({ model: d.model, reservedCost: d.reservedCost });
      }
    });
  }
  // On the run's own tally of served true costs, so a serving step that lets a query through
  // wrongly is caught here instead of being trusted.
  totals.exceeded = overspent(spent, budgets);
  return totals;
}

export function runAssignment(p: Prepared, assignment: Int32Array, budgets: Float64Array, order: Int32Array): RunTotals {
  const ledger = new BudgetLedger(budgets);
  const spent = new Float64Array(p.models.length);
  const totals: RunTotals = { performance: 0, cost: 0, served: 0, lost: 0, exceeded: false, decideMs: 0 };
  for (const j of order) {
    const m = assignment[j]!;
    if (m < 0) continue;
    const r = serveOne(p, ledger, j, m);
    if (!r.served) {
      totals.lost++;
      continue;
    }
    spent[m]! += r.cost;
    totals.performance += r.quality;
    totals.cost += r.cost;
    totals.served++;
  }
  totals.exceeded = overspent(spent, budgets);
  return totals;
}

function stat(xs: readonly number[]): Stat {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, sd };
}

/** Decisions per second count only the routing step (for the offline LPs: solve and rounding). */
function summarise(runs: readonly RunTotals[], queriesPerRun: number): MethodResult {
  const decideMs = runs.reduce((a, r) => a + r.decideMs, 0);
  const decisions = queriesPerRun * runs.length;
  return {
    performance: stat(runs.map((r) => r.performance)),
    cost: stat(runs.map((r) => r.cost)),
    served: stat(runs.map((r) => r.served)),
    lost: stat(runs.map((r) => r.lost)),
    efficiency: stat(runs.map((r) => (r.cost > 0 ? r.performance / r.cost : 0))),
    budgetExceeded: runs.some((r) => r.exceeded),
    decisionsPerSecond: decideMs > 0 ? decisions / (decideMs / 1000) : 0,
  };
}

/** Runs every method on one prepared dataset for every (factor, split); one report per pair. */
export async function runProtocol(p: Prepared, opts: ProtocolOptions): Promise<QualityReport[]> {
  const solver = await loadHighsSolver();
  const M = p.models.length;
  const reports: QualityReport[] = [];
  const trueValue = p.trueQuality.map((v) => (Number.isNaN(v) ? 0 : v));
  for (const factor of opts.factors) {
    for (const split of opts.splits) {
      const total = totalBudget(factor, p.trueCost, M);
      const budgets = splitBudget(total, split, p.historyMeans);
      const t0 = performance.now();
      const copt = solveAssignmentLp(solver, { nQueries: p.nTest, nModels: M, value: trueValue, cost: p.trueCost, budgets });
      const optPick = roundByArgmax(copt.x, M);
      const t1 = performance.now();
      const estOpt = solveAssignmentLp(solver, { nQueries: p.nTest, nModels: M, value: p.ann.quality, cost: p.ann.cost, budgets });
      const estPick = roundByArgmax(estOpt.x, M);
      const t2 = performance.now();
      const quotes: UsdQuoteRun[] = [];
      const runs = Object.fromEntries(METHOD_NAMES.map((n) => [n, [] as RunTotals[]])) as Record<MethodName, RunTotals[]>;
      for (const seed of opts.seeds) {
        const order = shuffledIndices(p.nTest, createRng(seed));
        const policies: [MethodName, PolicyConfigInput, EstimateBatch][] = [
          ['random', { policy: 'random', seed }, p.ann],
          ['greedy-perf', { policy: 'greedy-perf' }, p.ann],
          ['greedy-cost', { policy: 'greedy-cost' }, p.ann],
          ['knn-perf', { policy: 'knn-perf' }, p.exact],
          ['knn-cost', { policy: 'knn-cost' }, p.exact],
          ['port', { policy: 'port', seed }, p.ann],
          ['resolving-dual', { policy: 'resolving-dual', ...opts.primary }, p.primary],
        ];
        for (const [name, config, est] of policies) runs[name].push(await runPolicy(p, config, est, budgets, order, opts, solver));
        runs.deployed.push(await runDeployed(p, budgets, order, opts, solver, { arrivalRatePerSecond: opts.arrivalRatePerSecond ?? DEFAULT_ARRIVAL_RATE }));
        const usd = runUsdBudget(p, total, order);
        runs['usd-budget'].push(usd.totals);
        quotes.push(usd.quote);
        runs['est-opt'].push({ ...runAssignment(p, estPick, budgets, order), decideMs: t2 - t1 });
        runs.opt.push({ ...runAssignment(p, optPick, budgets, order), decideMs: t1 - t0 });
      }
      const methods = {} as Record<MethodName, MethodResult>;
      for (const name of METHOD_NAMES) {
        methods[name] = summarise(runs[name], p.nTest);
      }
      reports.push({
        primary: PRIMARY_METHOD,
        dataset: p.dataset,
        factor,
        split,
        seeds: opts.seeds.length,
        nTest: p.nTest,
        nHistory: p.nHistory,
        embedder: p.embedder,
        coptLpValue: copt.objective,
        methods,
        usdQuote: summariseQuotes(quotes),
      });
    }
  }
  return reports;
}
