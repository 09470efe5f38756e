// Budgets over a query stream (the quality benchmark's setting): how a total budget is split
// across models, and the ledger that charges served queries against it. Token budgets per time
// window, as the router enforces them, are budget-window.ts.
import { RoutingError } from './errors.ts';

export type BudgetSplit = 'weighted' | 'uniform' | 'cost';
export const BUDGET_SPLITS: readonly BudgetSplit[] = ['weighted', 'uniform', 'cost'];

/**
 * Total budget of the benchmark protocol (PORT, arXiv 2509.02718, Sec. 5.1): `factor` times what
 * the cheapest model would cost to serve the whole stream, min over m of sum_j c_mj.
 * `trueCost` is row-major (query x model); missing (NaN) costs are skipped in the sums.
 */
export function totalBudget(factor: number, trueCost: ArrayLike<number>, nModels: number): number {
  if (!(factor > 0)) throw new RoutingError('invalid_input', `budget factor must be > 0, got ${factor}`);
  const sums = new Float64Array(nModels);
  for (let i = 0; i < trueCost.length; i++) {
    const v = trueCost[i]!;
    if (!Number.isNaN(v)) sums[i % nModels]! += v;
  }
  let min = Number.POSITIVE_INFINITY;
  for (const s of sums) min = Math.min(min, s);
  return factor * min;
}

/**
 * Splits a total budget across models as PORT's test harness does: "weighted" gives B_m in
 * proportion to sqrt(mean quality_m / mean cost_m), "cost" to sqrt(1 / mean cost_m), "uniform"
 * equal shares. Means come from the history (reference) set, never from the test stream.
 */
export function splitBudget(
  total: number,
  split: BudgetSplit,
  means: { readonly quality: ArrayLike<number>; readonly cost: ArrayLike<number> },
): Float64Array {
  const M = means.quality.length;
  if (means.cost.length !== M) throw new RoutingError('dimension_mismatch', 'quality and cost means differ in length');
  const w = new Float64Array(M);
  for (let m = 0; m < M; m++) {
    const q = means.quality[m]!;
    const c = means.cost[m]!;
    if (split === 'uniform') w[m] = 1;
    else if (!(c > 0)) throw new RoutingError('invalid_input', `model ${m} has no positive mean cost for a '${split}' split`);
    else w[m] = split === 'weighted' ? Math.sqrt(Math.max(q, 0) / c) : Math.sqrt(1 / c);
  }
  let sum = 0;
  for (const v of w) sum += v;
  if (!(sum > 0)) throw new RoutingError('invalid_input', 'budget split weights sum to zero');
  return w.map((v) => (v / sum) * total);
}

export type ServeResult = { readonly served: true; readonly spent: number } | { readonly served: false; readonly reason: 'over_budget' };

/**
 * Spend per model against fixed budgets. `serve` is the serving rule that every method is judged
 * by: a query sent to m is served iff spent_m + c <= B_m with its true cost c, else it is lost
 * and nothing is charged. Spend is the running sum of served costs in serving order.
 */
export class BudgetLedger {
  readonly budgets: Float64Array;
  readonly spent: Float64Array;
  readonly servedCount: Int32Array;

  constructor(budgets: ArrayLike<number>) {
    this.budgets = Float64Array.from(budgets);
    for (const b of this.budgets) {
      if (!(b >= 0) || !Number.isFinite(b)) throw new RoutingError('invalid_input', `budgets must be finite and >= 0, got ${b}`);
    }
    this.spent = new Float64Array(this.budgets.length);
    this.servedCount = new Int32Array(this.budgets.length);
  }

  get nModels(): number {
    return this.budgets.length;
  }

  remaining(model: number): number {
    return this.budgets[model]! - this.spent[model]!;
  }

  /** Whether a cost fits the model's remaining budget under the serving rule. */
  fits(model: number, cost: number): boolean {
    return this.spent[model]! + cost <= this.budgets[model]!;
  }

  serve(model: number, trueCost: number): ServeResult {
    if (!(trueCost >= 0)) throw new RoutingError('invalid_input', `a served cost must be >= 0, got ${trueCost}`);
    if (!this.fits(model, trueCost)) return { served: false, reason: 'over_budget' };
    this.spent[model]! += trueCost;
    this.servedCount[model]! += 1;
    return { served: true, spent: this.spent[model]! };
  }

  /** True when some model has spent more than its budget (never, if only `serve` charges it). */
  exceeded(): boolean {
    for (let m = 0; m < this.budgets.length; m++) if (this.spent[m]! > this.budgets[m]!) return true;
    return false;
  }
}
