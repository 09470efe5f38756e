import { describe, expect, it } from 'vitest';
import { createRng } from '../src/rng.ts';
import { finishSecondsFor, quoteJob } from '../src/quote.ts';
import { routeUnderUsdBudget } from '../src/usd-routing.ts';

const models = [
  { name: 'cheap', tokensPerMinute: 60_000 },
  { name: 'dear', tokensPerMinute: 6_000, tokensPerDay: 1_000_000 },
];

function job(n: number, seed: number) {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => {
    const hard = rng();
    const cost = [0.001 * (1 + rng()), 0.02 * (1 + rng())];
    return { quality: [0.9 - 0.7 * hard, 0.95 - 0.1 * hard], costUsd: cost, worstCaseUsd: cost.map((c) => c * 2), tokens: [600, 600] };
  });
}

describe('finishSecondsFor', () => {
  it('pushes tokens through minute windows, and day windows when a daily limit binds', () => {
    expect(finishSecondsFor(120_000, models[0]!)).toBe(120);
    expect(finishSecondsFor(0, models[0]!)).toBe(0);
    expect(finishSecondsFor(1_500_000, models[1]!)).toBe(86_400 + (500_000 / 6_000) * 60);
  });
});

describe('quoteJob', () => {
  it('adds up the mix and each model alone, counting unrouted requests as quality 0', () => {
    const estimates = [
      { quality: [0.5, 0.9], costUsd: [0.01, 0.1], tokens: [100, 100] },
      { quality: [0.4, 0.8], costUsd: [0.01, 0.1], tokens: [100, 100] },
    ];
    const q = quoteJob({ models, estimates, chosen: [1, null], budgetUsd: 0.15, deadlineSeconds: 1 });
    expect(q).toMatchObject({ requests: 2, routed: 1, notRouted: 1, meetsDeadline: true });
    expect(q.predictedCostUsd).toBeCloseTo(0.1, 12);
    expect(q.predictedQuality).toBeCloseTo(0.45, 12);
    expect(q.singleModel[0]).toMatchObject({ name: 'cheap', requestsWithinBudget: 2, fitsBudget: true });
    expect(q.singleModel[1]).toMatchObject({ name: 'dear', requestsWithinBudget: 1, fitsBudget: false });
    expect(q.singleModel[1]!.predictedQuality).toBeCloseTo(0.45, 12);
    expect(() => quoteJob({ models, estimates, chosen: [2, 0], budgetUsd: null, deadlineSeconds: null })).toThrow(RangeError);
  });

  it('quotes a paced mix between the single models: within budget, better than the cheap one alone', () => {
    const reqs = job(1_000, 3);
    const budgetUsd = 8;
    const { choices, spentUsd } = routeUnderUsdBudget(reqs, { budgetUsd, nModels: 2, alpha: 1, gammaMax: 1e6, windowSize: 128, resolveEvery: 16, allowDrop: false, deadlineMs: null, throughputPerSec: null });
    const chosen = choices.map((c) => (c.kind === 'route' ? c.model : null));
    const q = quoteJob({ models, estimates: reqs, chosen, budgetUsd, deadlineSeconds: null });
    expect(spentUsd).toBeLessThanOrEqual(budgetUsd);
    // The ledger rounds each settlement up to a nano-dollar.
    expect(Math.abs(q.predictedCostUsd - spentUsd)).toBeLessThanOrEqual(reqs.length * 1e-9);
    expect(q.predictedCostUsd).toBeGreaterThan(0.9 * budgetUsd);
    expect(q.predictedQuality).toBeGreaterThan(q.singleModel[0]!.predictedQuality);
    expect(q.singleModel[1]!.fitsBudget).toBe(false);
    expect(q.models.map((m) => m.requests).reduce((a, b) => a + b, 0)).toBe(q.routed);
  });

  it('refuses with a reason when no worst case can ever fit', () => {
    const reqs = [{ quality: [0.5], costUsd: [1], worstCaseUsd: [5], tokens: [1] }];
    const { choices } = routeUnderUsdBudget(reqs, { budgetUsd: 2, nModels: 1, alpha: 1, gammaMax: 10, windowSize: 4, resolveEvery: 1, allowDrop: false, deadlineMs: null, throughputPerSec: null });
    expect(choices).toEqual([{ kind: 'refused', reason: 'budget_usd_too_small' }]);
  });
});
