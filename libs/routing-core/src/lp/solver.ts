import { RoutingError } from '../errors.ts';

/** What the routing core needs from an LP solver: solve a CPLEX-LP text, read primal values. */
export interface LpSolution {
  readonly status: string;
  readonly objective: number;
  primal(column: string): number;
}

export interface LpSolver {
  solve(lp: string): LpSolution;
}

/** The slice of the `highs` package API used here. */
interface HighsLike {
  solve(lp: string, options: { output_flag: boolean }): { Status: string; ObjectiveValue: number; Columns: unknown };
}
type LoadHighs = () => Promise<HighsLike>;

let shared: Promise<LpSolver> | undefined;

/**
 * Loads HiGHS (compiled to wasm, package `highs`) once per process. Loading is async; each
 * solve afterwards is synchronous, which keeps a policy's per-query `choose` synchronous even
 * when it re-solves its dual prices.
 */
export function loadHighsSolver(): Promise<LpSolver> {
  shared ??= (async () => {
    try {
      // The package is CommonJS with an ESM entry; TS (NodeNext) types the namespace as the CJS
      // export, so the loader is taken from whichever shape the runtime gives.
      const mod = (await import('highs')) as unknown as { default: LoadHighs | { default: LoadHighs } };
      const load = typeof mod.default === 'function' ? mod.default : mod.default.default;
      const highs = await load();
      return {
        solve(lp: string): LpSolution {
          const r = highs.solve(lp, { output_flag: false });
          const cols = r.Columns as Record<string, { Primal?: number } | undefined>;
          return {
            status: r.Status,
            objective: r.ObjectiveValue,
            primal: (column: string) => cols[column]?.Primal ?? 0,
          };
        },
      };
    } catch (cause) {
      shared = undefined;
      throw new RoutingError('solver_unavailable', 'could not load the HiGHS LP solver', { cause });
    }
  })();
  return shared;
}

/** Formats a coefficient for CPLEX LP text (finite, with its sign as a separate token). */
export function term(coef: number, name: string): string {
  return coef < 0 ? ` - ${-coef} ${name}` : ` + ${coef} ${name}`;
}

export function requireOptimal(sol: LpSolution, what: string): void {
  if (sol.status !== 'Optimal') throw new RoutingError('lp_not_optimal', `${what}: HiGHS ended with status ${sol.status}`);
}
