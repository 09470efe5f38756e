import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { dualObjective, loadHighsSolver, solveAssignmentLp, solveDualPrices, type DualPriceProblem, type LpSolver } from '../../src/index.ts';

let solver: LpSolver;
beforeAll(async () => {
  solver = await loadHighsSolver();
});

describe('solveDualPrices', () => {
  it('finds the hand-computed optimum of a two-model instance', () => {
    // Model 0: d=1, g=1, b=0.5; model 1: d=0.5, g=0.1, b=10; two identical queries.
    // The primal optimum sends half a query's worth of budget to model 0 (value 0.5) and the rest
    // to model 1 (0.5 + 0.25): 1.25. The dual prices model 0 at 0.5 (indifferent 1-0.5 = 0.5) and
    // model 1 at 0 (its budget is slack).
    const p: DualPriceProblem = {
      nQueries: 2,
      nModels: 2,
      quality: [1, 0.5, 1, 0.5],
      cost: [1, 0.1, 1, 0.1],
      budgets: [0.5, 10],
      alpha: 1,
      gammaMax: 10,
      allowDrop: true,
    };
    const r = solveDualPrices(solver, p);
    expect(r.gamma[0]).toBeCloseTo(0.5, 9);
    expect(r.gamma[1]).toBeCloseTo(0, 9);
    expect(r.objective).toBeCloseTo(1.25, 9);
  });

  it('respects gammaMax and PORT scaling by alpha (one model, one query)', () => {
    // min b*gamma + (alpha*d - gamma*g): slope b - g. With b < g the bound gamma = gammaMax binds.
    const base = { nQueries: 1, nModels: 1, quality: [1], cost: [1e-3], alpha: 1e-4, gammaMax: 1, allowDrop: false };
    const tight = solveDualPrices(solver, { ...base, budgets: [5e-4] });
    expect(tight.gamma[0]).toBeCloseTo(1, 9);
    expect(tight.objective).toBeCloseTo(5e-4 + 1e-4 - 1e-3, 12);
    const slack = solveDualPrices(solver, { ...base, budgets: [2e-3] });
    expect(slack.gamma[0]).toBeCloseTo(0, 9);
    expect(slack.objective).toBeCloseTo(1e-4, 12);
  });

  it('returns gamma = 0 when nothing was observed', () => {
    const r = solveDualPrices(solver, { nQueries: 0, nModels: 3, quality: [], cost: [], budgets: [1, 1, 1], alpha: 1, gammaMax: 1, allowDrop: false });
    expect(Array.from(r.gamma)).toEqual([0, 0, 0]);
  });

  const instance = fc.integer({ min: 1, max: 6 }).chain((n) =>
    fc.integer({ min: 1, max: 4 }).chain((M) =>
      fc.record({
        n: fc.constant(n),
        M: fc.constant(M),
        d: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: n * M, maxLength: n * M }),
        g: fc.array(fc.double({ min: 0.01, max: 1, noNaN: true }), { minLength: n * M, maxLength: n * M }),
        b: fc.array(fc.double({ min: 0, max: 3, noNaN: true }), { minLength: M, maxLength: M }),
        probe: fc.array(fc.double({ min: 0, max: 5, noNaN: true }), { minLength: M, maxLength: M }),
      }),
    ),
  );

  it('is the exact minimiser: no gamma in the box does better (property)', () => {
    fc.assert(
      fc.property(instance, ({ n, M, d, g, b, probe }) => {
        const p: DualPriceProblem = { nQueries: n, nModels: M, quality: d, cost: g, budgets: b, alpha: 1, gammaMax: 5, allowDrop: false };
        const r = solveDualPrices(solver, p);
        expect(r.objective).toBeLessThanOrEqual(dualObjective(p, probe) + 1e-7);
      }),
      { numRuns: 60 },
    );
  });

  it('with the drop option, equals the primal assignment LP optimum (strong duality, property)', () => {
    fc.assert(
      fc.property(instance, ({ n, M, d, g, b }) => {
        const dual = solveDualPrices(solver, { nQueries: n, nModels: M, quality: d, cost: g, budgets: b, alpha: 1, gammaMax: Infinity, allowDrop: true });
        const primal = solveAssignmentLp(solver, { nQueries: n, nModels: M, value: d, cost: g, budgets: b });
        expect(dual.objective).toBeCloseTo(primal.objective, 6);
      }),
      { numRuns: 60 },
    );
  });
});
