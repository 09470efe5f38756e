import { describe, expect, it } from 'vitest';
import { budgetFor, compareUnderBudget, servedWithin } from '../../src/report/compare.ts';

describe('servedWithin', () => {
  it('is the requests that fit in the budget, at most all of them; unknown without a budget', () => {
    expect(servedWithin(100, 5_000, 120)).toBe(41);
    expect(servedWithin(10, 5_000, 120)).toBe(10);
    expect(servedWithin(10, null, 120)).toBeNull();
    expect(servedWithin(10, 5_000, null)).toBeNull();
    expect(servedWithin(10, 5_000, 0)).toBeNull();
  });
});

describe('compareUnderBudget', () => {
  it('scores the requests a model cannot serve at 0, over all the job’s requests', () => {
    const [dear, cheap, free] = compareUnderBudget(100, [
      { model: 'dear', expectedMeanReward: 0.9, tokensPerRequest: 500, budgetTokens: 20_000 },
      { model: 'cheap', expectedMeanReward: 0.6, tokensPerRequest: 200, budgetTokens: 40_000 },
      { model: 'unbounded', expectedMeanReward: 0.7, tokensPerRequest: 300, budgetTokens: null },
    ]);
    expect(dear).toMatchObject({ servedRequests: 40, meanOverRequests: expect.closeTo(0.36, 9) });
    expect(cheap).toMatchObject({ servedRequests: 100, meanOverRequests: expect.closeTo(0.6, 9) });
    expect(free).toMatchObject({ servedRequests: null, meanOverRequests: expect.closeTo(0.7, 9) });
    expect(compareUnderBudget(5, [{ model: 'new', expectedMeanReward: null, tokensPerRequest: 1, budgetTokens: 1 }])[0]?.meanOverRequests).toBeNull();
  });
});

describe('budgetFor', () => {
  const grants = [
    { subject: 'm1', ruleId: 'per-minute', limitTokens: 1_000 },
    { subject: 'm1', ruleId: 'per-minute', limitTokens: 1_000 },
    { subject: 'm1', ruleId: 'per-day', limitTokens: 1_500 },
    { subject: 'm2', ruleId: 'per-minute', limitTokens: 4_000 },
    { subject: 'job-1', ruleId: 'job-cap', limitTokens: 3_000 },
  ];

  it('sums a rule over the windows and takes the tightest rule, the job’s included', () => {
    expect(budgetFor('m1', ['job-1', 'acme'], grants)).toBe(1_500);
    expect(budgetFor('m2', ['job-1', 'acme'], grants)).toBe(3_000);
    expect(budgetFor('m2', [], grants)).toBe(4_000);
    expect(budgetFor('m3', [], grants)).toBeNull();
  });
});
