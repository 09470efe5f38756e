import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { BudgetLedger, createPolicy, loadHighsSolver, ResolvingDualPolicy, type LpSolver, type ResolvingDualOptions } from '../../src/index.ts';

let solver: LpSolver;
beforeAll(async () => {
  solver = await loadHighsSolver();
});

const defaults: Omit<ResolvingDualOptions, 'budgets' | 'streamLength'> = {
  alpha: 1,
  windowSize: 64,
  resolveEvery: 8,
  minResolveIntervalMs: 0,
  gammaMax: 1e9,
  safetyMargin: 0.1,
  paceStep: 0,
  dropNegative: false,
};

describe('ResolvingDualPolicy', () => {
  it('falls back to the next-best model that still has budget instead of dropping', () => {
    // Model 0 is best but its budget covers one query; model 1 has plenty.
    const rd = new ResolvingDualPolicy({ ...defaults, budgets: [0.012, 100], streamLength: 1 }, solver);
    const est = { quality: [0.9, 0.5], cost: [0.01, 0.01] };
    const first = rd.choose(est);
    expect(first).toMatchObject({ kind: 'route', model: 0, fallbackRank: 0 });
    if (first.kind !== 'route') throw new Error('unreachable');
    rd.recordOutcome({ model: 0, cost: 0.01, quality: 1, reservedCost: first.reservedCost });
    const second = rd.choose(est);
    expect(second).toMatchObject({ kind: 'route', model: 1, fallbackRank: 1 });
  });

  it('drops with no_budget only when no model can cover the query', () => {
    const rd = new ResolvingDualPolicy({ ...defaults, budgets: [0.005, 0.005], streamLength: 10 }, solver);
    expect(rd.choose({ quality: [0.9, 0.5], cost: [0.01, 0.01] })).toEqual({ kind: 'drop', reason: 'no_budget' });
  });

  it('re-solves its prices as the stream goes (doubling, then every resolveEvery queries)', () => {
    const rd = new ResolvingDualPolicy({ ...defaults, budgets: [1, 1], streamLength: 100 }, solver);
    for (let i = 0; i < 40; i++) rd.choose({ quality: [0.9, 0.5], cost: [0.05, 0.01] });
    // at 1, 2, 4, 8, 16, 24, 32, 40
    expect(rd.solves).toBe(8);
  });

  it('re-solves at most once per minResolveIntervalMs of its clock after the doubling warm-up, on the first due query after it', () => {
    let now = 0;
    const rd = new ResolvingDualPolicy({ ...defaults, resolveEvery: 8, minResolveIntervalMs: 1_000, budgets: [1, 1], streamLength: 100 }, solver, () => now);
    const est = { quality: [0.9, 0.5], cost: [0.05, 0.01] };
    for (let i = 0; i < 40; i++) rd.choose(est);
    // The warm-up solves at queries 1, 2, 4 run although the clock stands still; from 8 on the
    // cap holds: the solve due at 8 waits for the clock.
    expect(rd.solves).toBe(3);
    now = 999;
    rd.choose(est);
    expect(rd.solves).toBe(3);
    now = 4_000;
    rd.choose(est); // query 42: overdue since 8, runs now
    expect(rd.solves).toBe(4);
    now = 9_000;
    rd.choose(est); // query 43: not due (next at 50)
    expect(rd.solves).toBe(4);
  });

  it('prices the dear model once its budget cannot pace the remaining stream', () => {
    // 100 queries; model 0 can afford about 10 of them, model 1 all.
    const rd = new ResolvingDualPolicy({ ...defaults, budgets: [0.1, 10], streamLength: 100 }, solver);
    const est = { quality: [0.9, 0.5], cost: [0.01, 0.001] };
    let toDear = 0;
    for (let i = 0; i < 100; i++) {
      const d = rd.choose(est);
      if (d.kind !== 'route') continue;
      if (d.model === 0) toDear++;
      rd.recordOutcome({ model: d.model, cost: est.cost[d.model]!, quality: 1, reservedCost: d.reservedCost });
    }
    expect(toDear).toBeLessThanOrEqual(10);
    expect(toDear).toBeGreaterThanOrEqual(5);
    expect(rd.observedSpend[0]).toBeLessThanOrEqual(0.1);
  });

  const stream = fc.record({
    M: fc.integer({ min: 1, max: 4 }),
    budgets: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 4, maxLength: 4 }),
    queries: fc.array(
      fc.record({
        d: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 4, maxLength: 4 }),
        g: fc.array(fc.double({ min: 0, max: 0.2, noNaN: true }), { minLength: 4, maxLength: 4 }),
        // true cost = estimate x factor: estimates can be far off in both directions
        factor: fc.array(fc.double({ min: 0, max: 4, noNaN: true }), { minLength: 4, maxLength: 4 }),
        delay: fc.integer({ min: 0, max: 5 }),
      }),
      { maxLength: 60 },
    ),
    margin: fc.double({ min: 0, max: 0.5, noNaN: true }),
  });

  it('never commits past any budget and accounts spend exactly, whatever the requests and costs (property)', async () => {
    await fc.assert(
      fc.asyncProperty(stream, async ({ M, budgets, queries, margin }) => {
        const B = budgets.slice(0, M);
        const policy = await createPolicy({ policy: 'resolving-dual', safetyMargin: margin, resolveEvery: 4, windowSize: 16 }, { budgets: B, streamLength: queries.length || 1, solver });
        const rd = policy as ResolvingDualPolicy;
        const ledger = new BudgetLedger(B);
        const servedCost = new Float64Array(M);
        // Outcomes come back after a random delay, in arbitrary interleaving with new decisions.
        const pending: { due: number; model: number; cost: number; reservedCost: number }[] = [];
        const settle = (now: number): void => {
          for (let i = pending.length - 1; i >= 0; i--) {
            const p = pending[i]!;
            if (p.due > now) continue;
            pending.splice(i, 1);
            const r = ledger.serve(p.model, p.cost);
            if (r.served) {
              servedCost[p.model]! += p.cost;
              rd.recordOutcome({ model: p.model, cost: p.cost, quality: 0, reservedCost: p.reservedCost });
            } else {
              rd.recordLost({ model: p.model, reservedCost: p.reservedCost });
            }
          }
        };
        queries.forEach((q, t) => {
          settle(t);
          const d = rd.choose({ quality: q.d.slice(0, M), cost: q.g.slice(0, M) });
          if (d.kind === 'route') {
            expect(d.reservedCost).toBeCloseTo((1 + margin) * q.g[d.model]!, 12);
            pending.push({ due: t + q.delay, model: d.model, cost: q.g[d.model]! * q.factor[d.model]!, reservedCost: d.reservedCost });
          }
          for (let m = 0; m < M; m++) {
            // committed = observed + reserved stays within budget (up to float rounding)
            expect(rd.committed(m)).toBeLessThanOrEqual(B[m]! * (1 + 1e-12) + 1e-15);
          }
        });
        settle(Number.POSITIVE_INFINITY);
        expect(ledger.exceeded()).toBe(false);
        for (let m = 0; m < M; m++) {
          expect(ledger.spent[m]).toBeLessThanOrEqual(B[m]!);
          // the policy's view of spend is exactly what the ledger charged (same order of sums)
          expect(rd.observedSpend[m]).toBe(ledger.spent[m]);
          expect(ledger.spent[m]).toBe(servedCost[m]);
          expect(rd.committed(m)).toBe(rd.observedSpend[m]);
        }
      }),
      { numRuns: 80 },
    );
  });
});
