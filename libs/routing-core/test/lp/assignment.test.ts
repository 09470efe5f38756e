import { beforeAll, describe, expect, it } from 'vitest';
import { loadHighsSolver, roundByArgmax, solveAssignmentLp, type LpSolver } from '../../src/index.ts';

let solver: LpSolver;
beforeAll(async () => {
  solver = await loadHighsSolver();
});

describe('solveAssignmentLp', () => {
  it('solves a small instance whose optimum is known', () => {
    // Model 0 (value 1, cost 1) can afford exactly one of the two queries; model 1 takes the other.
    const r = solveAssignmentLp(solver, { nQueries: 2, nModels: 2, value: [1, 0.5, 1, 0.5], cost: [1, 0.1, 1, 0.1], budgets: [1, 10] });
    expect(r.objective).toBeCloseTo(1.5, 9);
    expect(r.x[0]! + r.x[2]!).toBeCloseTo(1, 9);
    expect(r.x[1]! + r.x[3]!).toBeCloseTo(1, 9);
  });

  it('is fractional when the budget covers part of a query, and rounding keeps that query', () => {
    const r = solveAssignmentLp(solver, { nQueries: 1, nModels: 1, value: [1], cost: [2], budgets: [1] });
    expect(r.objective).toBeCloseTo(0.5, 9);
    expect(r.x[0]).toBeCloseTo(0.5, 9);
    expect(Array.from(roundByArgmax(r.x, 1))).toEqual([0]);
  });

  it('never offers NaN cells or models without budget', () => {
    const r = solveAssignmentLp(solver, { nQueries: 2, nModels: 2, value: [NaN, 0.2, 1, 0.3], cost: [0.1, 0.1, 0.1, 0.1], budgets: [1, 0] });
    expect(r.x[0]).toBe(0);
    expect(r.x[1]).toBe(0);
    expect(r.x[3]).toBe(0);
    expect(r.objective).toBeCloseTo(1, 9);
  });
});

describe('roundByArgmax', () => {
  it('takes the largest share per query and -1 where nothing is assigned', () => {
    expect(Array.from(roundByArgmax(Float64Array.from([0.2, 0.7, 0, 0, 0.5, 0.5]), 2))).toEqual([1, -1, 0]);
  });
});
