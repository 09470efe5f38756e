import { RoutingError } from '../errors.ts';
import { requireOptimal, term, type LpSolver } from './solver.ts';

/**
 * The dual-price problem of budgeted online routing, over a set of observed estimates:
 *
 *   min_{gamma in [0, gammaMax]^M}  sum_m b_m gamma_m + sum_j max_m (alpha d^_mj - gamma_m g^_mj)   (1)
 *
 * (with `allowDrop`, the max also includes 0: the query may go unserved). This is the Lagrangian
 * dual of the budgeted assignment LP max sum x d^ s.t. sum_j x_mj g^_mj <= b_m, sum_m x_mj <= 1
 * (PORT, arXiv 2509.02718, Eq. 4-5; Agrawal & Devanur, "Fast algorithms for online stochastic
 * convex programming", SODA 2015). Written in epigraph form,
 *
 *   min sum_m b_m gamma_m + sum_j u_j  s.t.  u_j + g^_mj gamma_m >= alpha d^_mj,  0 <= gamma <= gammaMax
 *
 * it is an LP, and HiGHS returns its exact minimiser. PORT's reference code (fzwark/PORT,
 * algo.py `_optimize_gamma`) minimises the same objective (1), with b = eps * B and
 * gammaMax = 1, by L-BFGS-B on the non-smooth max, which only approximates this minimiser.
 *
 * Every row is divided by alpha, and gamma is solved for in units of the mean estimated cost
 * (gamma' = gamma * gbar / alpha), so the coefficients HiGHS sees are O(1) whatever the currency
 * or alpha; the minimiser is mapped back. Unscaled, a window of 512 queries with costs around
 * 1e-4 USD took HiGHS hundreds of milliseconds.
 */
export interface DualPriceProblem {
  readonly nQueries: number;
  readonly nModels: number;
  /** d^, row-major (query x model). */
  readonly quality: ArrayLike<number>;
  /** g^, row-major (query x model). */
  readonly cost: ArrayLike<number>;
  /** b_m: the budget each model may spend on these queries. */
  readonly budgets: ArrayLike<number>;
  readonly alpha: number;
  /** Upper bound on every gamma_m (PORT: 1). Infinity leaves it unbounded. */
  readonly gammaMax: number;
  /** Include the option of serving nothing (u_j >= 0). PORT does not. */
  readonly allowDrop: boolean;
}

export interface DualPrices {
  readonly gamma: Float64Array;
  /** Value of objective (1) at gamma. */
  readonly objective: number;
}

/** Mean of the positive, finite estimated costs (1 when there are none): the price unit of the LP. */
export function dualCostScale(p: Pick<DualPriceProblem, 'cost'>): number {
  let s = 0;
  let c = 0;
  for (let i = 0; i < p.cost.length; i++) {
    const g = p.cost[i]!;
    if (g > 0 && Number.isFinite(g)) {
      s += g;
      c++;
    }
  }
  return c > 0 ? s / c : 1;
}

export function buildDualPriceLp(p: DualPriceProblem, costScale = dualCostScale(p)): string {
  const { nQueries: n, nModels: M, alpha } = p;
  if (!(alpha > 0)) throw new RoutingError('invalid_input', `alpha must be > 0, got ${alpha}`);
  if (p.quality.length !== n * M || p.cost.length !== n * M || p.budgets.length !== M) {
    throw new RoutingError('dimension_mismatch', 'dual price problem arrays do not match nQueries x nModels');
  }
  const obj: string[] = [];
  for (let m = 0; m < M; m++) obj.push(term(p.budgets[m]! / costScale, `g${m}`));
  for (let j = 0; j < n; j++) obj.push(term(1, `u${j}`));
  const rows: string[] = [];
  for (let j = 0; j < n; j++) {
    for (let m = 0; m < M; m++) {
      const d = p.quality[j * M + m]!;
      const g = p.cost[j * M + m]!;
      if (Number.isNaN(d) || Number.isNaN(g)) continue;
      rows.push(` c${j}_${m}: u${j}${term(g / costScale, `g${m}`)} >= ${d}`);
    }
  }
  const bounds: string[] = [];
  const upper = (p.gammaMax * costScale) / alpha;
  for (let m = 0; m < M; m++) bounds.push(Number.isFinite(upper) ? ` 0 <= g${m} <= ${upper}` : ` g${m} >= 0`);
  for (let j = 0; j < n; j++) bounds.push(p.allowDrop ? ` u${j} >= 0` : ` u${j} free`);
  return ['Minimize', ` obj:${obj.join('')}`, 'Subject To', ...rows, 'Bounds', ...bounds, 'End', ''].join('\n');
}

export function solveDualPrices(solver: LpSolver, p: DualPriceProblem): DualPrices {
  if (p.nQueries === 0) {
    // Nothing observed: the objective is increasing in every gamma_m, so gamma = 0 minimises it.
    return { gamma: new Float64Array(p.nModels), objective: 0 };
  }
  const scale = dualCostScale(p);
  const sol = solver.solve(buildDualPriceLp(p, scale));
  requireOptimal(sol, 'dual price LP');
  const gamma = new Float64Array(p.nModels);
  for (let m = 0; m < p.nModels; m++) {
    gamma[m] = Math.min(Math.max((sol.primal(`g${m}`) * p.alpha) / scale, 0), p.gammaMax);
  }
  return { gamma, objective: dualObjective(p, gamma) };
}

/** Objective (1) evaluated directly, so callers can compare minimisers from any method. */
export function dualObjective(p: DualPriceProblem, gamma: ArrayLike<number>): number {
  const M = p.nModels;
  let total = 0;
  for (let m = 0; m < M; m++) total += p.budgets[m]! * gamma[m]!;
  for (let j = 0; j < p.nQueries; j++) {
    let best = p.allowDrop ? 0 : Number.NEGATIVE_INFINITY;
    for (let m = 0; m < M; m++) {
      const d = p.quality[j * M + m]!;
      const g = p.cost[j * M + m]!;
      if (Number.isNaN(d) || Number.isNaN(g)) continue;
      best = Math.max(best, p.alpha * d - gamma[m]! * g);
    }
    if (Number.isFinite(best)) total += best;
  }
  return total;
}
