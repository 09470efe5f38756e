import { RoutingError } from '../errors.ts';
import { requireOptimal, type LpSolver } from './solver.ts';

/**
 * The offline budgeted assignment LP over a whole stream (the C^opt / Copt baselines of PORT,
 * arXiv 2509.02718, Sec. 5.1):
 *
 *   max sum_{j,m} x_mj v_mj  s.t.  sum_j x_mj c_mj <= B_m (each m),  sum_m x_mj <= 1 (each j),  x >= 0
 *
 * solved exactly by HiGHS. With v = d^, c = g^ it is C^opt's relaxation; with true values it is
 * Copt, whose objective bounds every method from above. Budget rows are divided by B_m so the
 * coefficients HiGHS sees are O(1); cells whose cost exceeds 1e9 x B_m (B_m = 0 included) are left out.
 */
export interface AssignmentProblem {
  readonly nQueries: number;
  readonly nModels: number;
  /** v, row-major (query x model); NaN cells are not offered. */
  readonly value: ArrayLike<number>;
  /** c, row-major (query x model); NaN cells are not offered. */
  readonly cost: ArrayLike<number>;
  readonly budgets: ArrayLike<number>;
}

export interface AssignmentSolution {
  readonly objective: number;
  /** x, row-major (query x model). */
  readonly x: Float64Array;
}

export function buildAssignmentLp(p: AssignmentProblem): string {
  const { nQueries: n, nModels: M } = p;
  if (p.value.length !== n * M || p.cost.length !== n * M || p.budgets.length !== M) {
    throw new RoutingError('dimension_mismatch', 'assignment problem arrays do not match nQueries x nModels');
  }
  const usable = (j: number, m: number): boolean => {
    const v = p.value[j * M + m]!;
    const c = p.cost[j * M + m]!;
    if (Number.isNaN(v) || Number.isNaN(c) || c < 0) return false;
    // x_mj <= B_m / c_mj; below 1e-9 of a query the cell is numerically unusable (and a
    // denormal budget would put Infinity into the LP text).
    return c === 0 || p.budgets[m]! / c >= 1e-9;
  };
  const obj: string[] = [];
  const budgetRows: string[][] = Array.from({ length: M }, () => []);
  const queryRows: string[] = [];
  const bounds: string[] = [];
  for (let j = 0; j < n; j++) {
    const vars: string[] = [];
    for (let m = 0; m < M; m++) {
      if (!usable(j, m)) continue;
      const name = `x${j}_${m}`;
      vars.push(name);
      bounds.push(` ${name} <= 1`);
      const v = p.value[j * M + m]!;
      if (v !== 0) obj.push(v < 0 ? ` - ${-v} ${name}` : ` + ${v} ${name}`);
      const c = p.cost[j * M + m]!;
      if (c > 0) budgetRows[m]!.push(` + ${c / p.budgets[m]!} ${name}`);
    }
    if (vars.length > 1) queryRows.push(` q${j}: ${vars.join(' + ')} <= 1`);
  }
  const rows = budgetRows.flatMap((terms, m) => (terms.length > 0 ? [` b${m}:${terms.join('')} <= 1`] : []));
  // HiGHS rejects an empty objective line; a zero term on any column keeps the LP well formed.
  if (obj.length === 0) obj.push(' + 0 x_none');
  return ['Maximize', ` obj:${obj.join('')}`, 'Subject To', ...rows, ...queryRows, ...(rows.length + queryRows.length === 0 ? [' none: x_none <= 0'] : []), 'Bounds', ...bounds, 'End', ''].join('\n');
}

export function solveAssignmentLp(solver: LpSolver, p: AssignmentProblem): AssignmentSolution {
  const sol = solver.solve(buildAssignmentLp(p));
  requireOptimal(sol, 'assignment LP');
  const x = new Float64Array(p.nQueries * p.nModels);
  for (let j = 0; j < p.nQueries; j++) {
    for (let m = 0; m < p.nModels; m++) x[j * p.nModels + m] = Math.min(Math.max(sol.primal(`x${j}_${m}`), 0), 1);
  }
  return { objective: sol.objective, x };
}

/**
 * Rounds a fractional assignment to one model per query by argmax of x (PORT's rounding of
 * C^opt); -1 where the query has no positive mass, i.e. the LP leaves it unserved.
 */
export function roundByArgmax(x: Float64Array, nModels: number, minMass = 1e-9): Int32Array {
  const n = x.length / nModels;
  const out = new Int32Array(n).fill(-1);
  for (let j = 0; j < n; j++) {
    let best = minMass;
    for (let m = 0; m < nModels; m++) {
      const v = x[j * nModels + m]!;
      if (v > best) {
        best = v;
        out[j] = m;
      }
    }
  }
  return out;
}
