import { describe, expect, it } from 'vitest';
import { createRng } from '../src/rng.ts';
import { UsdLedger, nanoUsdCeil, nanoUsdFloor } from '../src/usd-ledger.ts';
import { UsdPacer, solveSharedDualPrice, spendAt } from '../src/usd-pacer.ts';

// Three models: cheap and weak, middling, dear and strong; quality varies per query.
function stream(n: number, seed: number) {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => {
    const hard = rng();
    return {
      quality: [0.9 - 0.7 * hard, 0.92 - 0.4 * hard, 0.95 - 0.1 * hard],
      cost: [0.0002 * (1 + rng()), 0.002 * (1 + rng()), 0.02 * (1 + rng())],
    };
  });
}

describe('solveSharedDualPrice', () => {
  const qs = stream(200, 1);
  const problem = (budgetUsd: number) => ({
    nQueries: qs.length,
    nModels: 3,
    quality: qs.flatMap((q) => q.quality),
    cost: qs.flatMap((q) => q.cost),
    budgetUsd,
    alpha: 1,
    gammaMax: 1e6,
    allowDrop: false,
  });

  it('is 0 when the budget does not bind', () => {
    expect(solveSharedDualPrice(problem(1e9))).toBe(0);
  });

  it('is the smallest price whose argmax spend fits the budget', () => {
    const p = problem(0.5);
    const gamma = solveSharedDualPrice(p);
    expect(gamma).toBeGreaterThan(0);
    expect(spendAt(p, gamma)).toBeLessThanOrEqual(0.5);
    expect(spendAt(p, gamma * 0.99)).toBeGreaterThan(0.5);
  });

  it('skips models that cannot serve a query', () => {
    const p = { ...problem(1e9), nQueries: 1, quality: [0.1, 0.2, 0.9], cost: [0.001, 0.002, Number.NaN] };
    expect(spendAt(p, 0)).toBe(0.002);
  });
});

describe('UsdPacer', () => {
  // Routes a job under one dollar budget: price from the pacer, worst case = estimate x 1.5
  // reserved in the ledger (the model falls back to a cheaper one when it does not fit), true
  // cost = the estimate, settled at once.
  function run(budgetUsd: number, opts: { deadlineMs?: number; throughputPerSec?: number } = {}) {
    const qs = stream(2_000, 7);
    const pacer = new UsdPacer({
      budgetUsd, streamLength: qs.length, nModels: 3, alpha: 1, gammaMax: 1e6, windowSize: 256, resolveEvery: 32, allowDrop: false,
      deadlineMs: opts.deadlineMs ?? null, throughputPerSec: opts.throughputPerSec ?? null,
    });
    const ledger = new UsdLedger();
    ledger.setLimit('job', nanoUsdFloor(budgetUsd));
    const spentAfter: number[] = [];
    let quality = 0;
    qs.forEach((q, j) => {
      const gamma = pacer.observe(q, j * 1000);
      const order = [0, 1, 2].sort((a, b) => (q.quality[b]! - gamma * q.cost[b]!) - (q.quality[a]! - gamma * q.cost[a]!));
      for (const m of order) {
        const r = ledger.reserve({ requestId: `r${j}`, holder: 'h', scopes: ['job'], amountNano: nanoUsdCeil(q.cost[m]! * 1.5) });
        if (r.kind !== 'reserved') continue;
        ledger.settle(`r${j}`, nanoUsdCeil(q.cost[m]!));
        quality += q.quality[m]!;
        break;
      }
      pacer.setCommittedUsd(ledger.scope('job')!.committedNano / 1e9);
      spentAfter.push(ledger.scope('job')!.spentNano / 1e9);
    });
    return { spentAfter, spent: spentAfter.at(-1)!, quality: quality / qs.length };
  }

  it('spreads the budget over the job: never over it, most of it used, no early run-dry', () => {
    const budget = 8;
    const { spentAfter, spent } = run(budget);
    expect(spent).toBeLessThanOrEqual(budget);
    expect(spent).toBeGreaterThanOrEqual(0.9 * budget);
    const half = spentAfter[999]!;
    expect(half / spent).toBeGreaterThan(0.35);
    expect(half / spent).toBeLessThan(0.65);
  });

  it('buys more quality than the cheapest model alone, and less spend than the dearest', () => {
    const tight = run(2);
    const loose = run(200);
    expect(tight.quality).toBeLessThan(loose.quality);
    expect(tight.spent).toBeLessThan(loose.spent);
  });

  it('with a deadline it can only reach part of the job, spends the budget on that part', () => {
    // 2,000 requests at 1 per second of virtual time, but the deadline allows 1,000 seconds.
    const budget = 8;
    const { spentAfter } = run(budget, { deadlineMs: 1_000_000, throughputPerSec: 1 });
    expect(spentAfter[999]!).toBeGreaterThanOrEqual(0.8 * budget);
  });
});
