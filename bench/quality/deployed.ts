// The `deployed` row of bench:quality: resolving-dual as the router runs it by default, not only
// its policy maths. Its estimates come from the router's index (usearch, `ann.kind` default),
// searched k x widen wide (feedback.widen) so appended outcome rows never crowd complete rows out;
// its dual prices are re-solved at most once per `policyMinResolveIntervalMs` of a virtual clock
// (queries arrive at a fixed rate); and feedback is on with DEFAULT_FEEDBACK_OPTIONS: every served
// outcome goes through FeedbackModel (cost correction, drift correction, exploration, appended
// rows), exactly the class the router's feedback loop applies outcomes with.
import { createIndex } from '@switchyard/ann';
import {
  BudgetLedger,
  createPolicy,
  DEFAULT_FEEDBACK_OPTIONS,
  estimatePerModel,
  FeedbackModel,
  RESOLVING_DUAL_ESTIMATOR,
  ReferenceSet,
  type LpSolver,
} from '@switchyard/routing-core';
import { overspent } from '../feedback/overspend.ts';
import type { Prepared, ProtocolOptions, RunTotals } from './protocol.ts';

/** The router's defaults that shape this row (libs/routing-engine/src/config.ts). */
export const DEPLOYED = Object.freeze({ widen: 4, minResolveIntervalMs: 1_000 });

export interface DeployedOptions {
  /** Queries per second of the virtual clock: how much wall time the re-solve cap sees pass per query. */
  arrivalRatePerSecond: number;
}

/** Merges two best-first lists of S neighbours per query; ids of `b` are offset by `bOffset`. */
export function mergeNeighbours(a: { ids: Int32Array; scores: Float32Array }, b: { ids: Int32Array; scores: Float32Array }, n: number, S: number, bOffset: number): Int32Array {
  const out = new Int32Array(n * S);
  for (let i = 0; i < n; i++) {
    let x = 0;
    let y = 0;
    for (let c = 0; c < S; c++) {
      const sa = x < S && a.ids[i * S + x]! >= 0 ? a.scores[i * S + x]! : Number.NEGATIVE_INFINITY;
      const idB = y < S ? b.ids[i * S + y]! : -1;
      const sb = idB >= 0 ? b.scores[i * S + y]! : Number.NEGATIVE_INFINITY;
      if (sa === Number.NEGATIVE_INFINITY && sb === Number.NEGATIVE_INFINITY) out[i * S + c] = -1;
      else if (sa >= sb) out[i * S + c] = a.ids[i * S + x++]!;
      else out[i * S + c] = bOffset + b.ids[i * S + y++]!;
    }
  }
  return out;
}

export async function runDeployed(p: Prepared, budgets: Float64Array, order: Int32Array, opts: ProtocolOptions, solver: LpSolver, d: DeployedOptions): Promise<RunTotals> {
  const M = p.models.length;
  const { k } = RESOLVING_DUAL_ESTIMATOR;
  const S = k * DEPLOYED.widen;
  const { dim, testVectors, neighbours, features, featureDim: F } = p.deployed;
  const ref = ReferenceSet.fromArrays(p.models, p.deployed.historyRows);
  const baseRows = ref.size;
  const fb = new FeedbackModel(ref, DEFAULT_FEEDBACK_OPTIONS);
  const appended = createIndex('exact', { dim, capacity: order.length });
  let seen = 0;
  const clock = (): number => (seen * 1000) / d.arrivalRatePerSecond;
  const policy = await createPolicy({ policy: 'resolving-dual', minResolveIntervalMs: DEPLOYED.minResolveIntervalMs }, { budgets, streamLength: p.nTest, solver, clock });
  const alpha = policy.pricing().alpha;
  const ledger = new BudgetLedger(budgets);
  const spent = new Float64Array(M);
  const totals: RunTotals = { performance: 0, cost: 0, served: 0, lost: 0, exceeded: false, decideMs: 0 };
  for (let from = 0; from < order.length; from += opts.batchSize) {
    const to = Math.min(order.length, from + opts.batchSize);
    const n = to - from;
    const qv = new Float32Array(n * dim);
    const feats = new Float64Array(n * F);
    const base = { ids: new Int32Array(n * S), scores: new Float32Array(n * S) };
    for (let i = 0; i < n; i++) {
      const j = order[from + i]!;
      qv.set(testVectors.subarray(j * dim, (j + 1) * dim), i * dim);
      feats.set(features.subarray(j * F, (j + 1) * F), i * F);
      base.ids.set(neighbours.ids.subarray(j * S, (j + 1) * S), i * S);
      base.scores.set(neighbours.scores.subarray(j * S, (j + 1) * S), i * S);
    }
    const t0 = performance.now();
    const ids = appended.size > 0 ? mergeNeighbours(base, appended.searchBatch(qv, S), n, S, baseRows) : base.ids;
    const raw = estimatePerModel(ref, ids, S, k);
    const batch = fb.adjust(raw, feats, alpha);
    const decisions = policy.chooseBatch(batch, opts.kernel);
    totals.decideMs += performance.now() - t0;
    seen = to;
    decisions.forEach((dec, i) => {
      if (dec.kind !== 'route') return;
      const j = order[from + i]!;
      const c = p.trueCost[j * M + dec.model]!;
      const q = p.trueQuality[j * M + dec.model]!;
      if (Number.isNaN(c) || !ledger.serve(dec.model, c).served) {
        totals.lost++;
        policy.recordLost({ model: dec.model, reservedCost: dec.reservedCost });
        return;
      }
      const quality = Number.isNaN(q) ? 0 : q;
      spent[dec.model]! += c;
      totals.performance += quality;
      totals.cost += c;
      totals.served++;
      policy.recordOutcome({ model: dec.model, cost: c, quality, reservedCost: dec.reservedCost });
      const rc = i * M + dec.model;
      const id = fb.observe({
        model: dec.model,
        predicted: { quality: raw.quality[rc]!, cost: raw.cost[rc]!, tokens: raw.tokens[rc]! },
        observed: { quality: q, cost: c, tokens: p.trueTokens[j * M + dec.model]! },
        features: feats.subarray(i * F, (i + 1) * F),
      });
      if (id !== null && baseRows + appended.add(qv.subarray(i * dim, (i + 1) * dim)) !== id) throw new Error('appended index out of step with the reference set');
    });
  }
  totals.exceeded = overspent(spent, budgets);
  return totals;
}
