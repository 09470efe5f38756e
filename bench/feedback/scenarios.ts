// The worlds of the change scenarios (README, "Feedback under change"): what the router starts
// from, the stream it routes, the truth each query has at its position in the stream, and what
// an oracle that knows the truth at every moment would hold as its reference set. Pure over a
// loaded dataset; the models a scenario changes are picked by rules on the history alone, so any
// dataset runs the same scenarios.
import type { Dataset, DatasetQuery } from '@switchyard/datasets';
import { createRng, shuffledIndices } from '@switchyard/routing-core';

export const SCENARIOS = ['stationary', 'cold-incomplete', 'price-change', 'price-cut', 'regression', 'new-model', 'biased-costs'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** Rows in the flat query x model layout of ReferenceSet.fromArrays. */
export interface Rows {
  quality: Float64Array;
  cost: Float64Array;
  tokens: Float64Array;
}

/** A reference set together with the (history) queries its rows stand for. */
export interface Knowledge {
  /** Indices into Dataset.history, one per row. */
  history: Int32Array;
  rows: Rows;
}

export interface World {
  scenario: ScenarioName;
  /** The stream in arrival order. */
  stream: DatasetQuery[];
  /** Index into Dataset.history for each stream position that came from the history, else -1. */
  streamHistoryIndex: Int32Array;
  /** First position of the test segment (0 when the whole stream is the test split). */
  testFrom: number;
  /** True quality and cost of every (position, model), the change applied from `changeAt` on. */
  truth: Rows;
  /** Stream position from which the truth is changed (Infinity: never). */
  changeAt: number;
  /** What `off` and `on` start from. */
  start: Knowledge;
  /** The oracle's reference set before `changeAt` and from then on (the same rows, changed values). */
  oracle: { before: Knowledge; after: Knowledge };
  /** The model the scenario changes (-1: none), for reports. */
  changed: number[];
  /** The factor on the changed model's cost from `changeAt` on (price scenarios), else null. */
  priceFactor: number | null;
  /** Budget-split means: the operator's history (true values, every model). */
  historyMeans: { quality: Float64Array; cost: Float64Array };
}

export function flatten(qs: readonly DatasetQuery[], M: number): Rows {
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

function copyRows(r: Rows): Rows {
  return { quality: Float64Array.from(r.quality), cost: Float64Array.from(r.cost), tokens: Float64Array.from(r.tokens) };
}

function means(rows: Rows, M: number): { quality: Float64Array; cost: Float64Array } {
  const out = { quality: new Float64Array(M), cost: new Float64Array(M) };
  for (const metric of ['quality', 'cost'] as const) {
    for (let m = 0; m < M; m++) {
      let s = 0;
      let c = 0;
      for (let i = m; i < rows[metric].length; i += M) {
        const v = rows[metric][i]!;
        if (Number.isNaN(v)) continue;
        s += v;
        c++;
      }
      out[metric][m] = c > 0 ? s / c : Number.NaN;
    }
  }
  return out;
}

/** The models a scenario changes, chosen on history means only (never on the stream). */
export function pickModels(historyMeans: { quality: Float64Array; cost: Float64Array }) {
  const M = historyMeans.cost.length;
  const ids = Array.from({ length: M }, (_, m) => m);
  const byCost = [...ids].sort((a, b) => historyMeans.cost[a]! - historyMeans.cost[b]!);
  const median = historyMeans.cost[byCost[Math.floor((M - 1) / 2)]!]!;
  const best = (cands: number[]): number => cands.reduce((a, b) => (historyMeans.quality[b]! > historyMeans.quality[a]! ? b : a), cands[0]!);
  const mid = ids.filter((m) => historyMeans.cost[m]! >= median && historyMeans.cost[m]! <= 2 * median);
  // Quality per dollar: the weighted split's budget share grows with it, so these models carry the most traffic.
  const byValue = [...ids].sort((a, b) => historyMeans.quality[b]! / historyMeans.cost[b]! - historyMeans.quality[a]! / historyMeans.cost[a]!);
  return {
    /** The largest quality per dollar: the cheap model a budgeted router leans on most. */
    cheapHeavy: byValue[0]!,
    /** The best quality among the three heaviest-used: a strong model whose regression matters. */
    strongHeavy: best(byValue.slice(0, Math.min(3, M))),
    /** The most expensive model. */
    expensive: byCost[M - 1]!,
    /** Best quality among models costing 1x to 2x the median. */
    midPrice: best(mid.length > 0 ? mid : ids),
    /** The three cheapest (an old price table that undercharges the high-volume models). */
    cheapest3: byCost.slice(0, Math.min(3, M)),
  };
}

/** Deterministic "is this correct answer lost in the regression" draw per (query id, model). */
function regressed(id: string, model: number): boolean {
  let h = 2166136261 ^ model;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  return (h >>> 0) % 2 === 0;
}

type Change = (rows: Rows, ids: readonly string[], M: number) => void;

function scaleCost(models: readonly number[], factor: number): Change {
  return (rows, _ids, M) => {
    for (const m of models) for (let i = m; i < rows.cost.length; i += M) rows.cost[i]! *= factor;
  };
}

function regress(model: number): Change {
  return (rows, ids, M) => {
    ids.forEach((id, i) => {
      if (rows.quality[i * M + model] === 1 && regressed(id, model)) rows.quality[i * M + model] = 0;
    });
  };
}

function blank(model: number): Change {
  return (rows, _ids, M) => {
    for (const metric of ['quality', 'cost', 'tokens'] as const) for (let i = model; i < rows[metric].length; i += M) rows[metric][i] = Number.NaN;
  };
}

/** Cold start: `size` rows drawn per seed from the history without the first task (by name). */
function coldRows(ds: Dataset, seed: number, size: number): { known: Int32Array; rest: Int32Array; absentTask: string } {
  const absentTask = [...new Set(ds.history.map((q) => q.task))].sort()[0]!;
  const perm = shuffledIndices(ds.history.length, createRng(2_000_003 + seed));
  const known: number[] = [];
  const rest: number[] = [];
  for (const h of perm) {
    if (known.length < size && ds.history[h]!.task !== absentTask) known.push(h);
    else rest.push(h);
  }
  return { known: Int32Array.from(known), rest: Int32Array.from(rest), absentTask };
}

export const COLD_ROWS = 200;

/** Builds one scenario's world for one seed (the stream order and cold set depend on the seed). */
export function buildWorld(ds: Dataset, scenario: ScenarioName, seed: number, coldRowCount = COLD_ROWS): World {
  const M = ds.models.length;
  const fullRows = flatten(ds.history, M);
  const historyMeans = means(fullRows, M);
  const pick = pickModels(historyMeans);
  const allHistory = Int32Array.from(ds.history.keys());
  const testOrder = shuffledIndices(ds.test.length, createRng(seed));
  let stream = Array.from(testOrder, (j) => ds.test[j]!);
  let streamHistoryIndex = new Int32Array(stream.length).fill(-1);
  let start: Knowledge = { history: allHistory, rows: copyRows(fullRows) };
  let testFrom = 0;
  let startChange: Change | null = null;
  let streamChange: Change | null = null;
  let changed: number[] = [];
  let priceFactor: number | null = null;
  switch (scenario) {
    case 'stationary':
      break;
    case 'cold-incomplete': {
      const { known, rest } = coldRows(ds, seed, coldRowCount);
      start = { history: known, rows: flatten(Array.from(known, (h) => ds.history[h]!), M) };
      stream = [...Array.from(rest, (h) => ds.history[h]!), ...stream];
      streamHistoryIndex = Int32Array.from([...rest, ...new Array<number>(testOrder.length).fill(-1)]);
      testFrom = rest.length;
      break;
    }
    case 'price-change':
      changed = [pick.cheapHeavy];
      priceFactor = 3;
      streamChange = scaleCost(changed, priceFactor);
      break;
    case 'price-cut':
      changed = [pick.expensive];
      priceFactor = 0.5;
      streamChange = scaleCost(changed, priceFactor);
      break;
    case 'regression':
      changed = [pick.strongHeavy];
      streamChange = regress(pick.strongHeavy);
      break;
    case 'new-model':
      changed = [pick.midPrice];
      startChange = blank(pick.midPrice);
      break;
    case 'biased-costs':
      changed = pick.cheapest3;
      startChange = scaleCost(changed, 0.6);
      break;
  }
  const historyIds = (k: Knowledge): string[] => Array.from(k.history, (h) => ds.history[h]!.id);
  const truth = flatten(stream, M);
  const changeAt = streamChange ? Math.floor(stream.length / 2) : Number.POSITIVE_INFINITY;
  if (streamChange) {
    const tail = { quality: truth.quality.subarray(changeAt * M), cost: truth.cost.subarray(changeAt * M), tokens: truth.tokens.subarray(changeAt * M) };
    streamChange(tail, stream.slice(changeAt).map((q) => q.id), M);
  }
  if (startChange) startChange(start.rows, historyIds(start), M);
  const before: Knowledge = { history: allHistory, rows: copyRows(fullRows) };
  const after: Knowledge = { history: allHistory, rows: copyRows(fullRows) };
  if (streamChange) streamChange(after.rows, historyIds(after), M);
  return { scenario, stream, streamHistoryIndex, testFrom, truth, changeAt, start, oracle: { before, after }, changed, priceFactor, historyMeans };
}
