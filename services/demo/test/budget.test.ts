import { describe, expect, it } from 'vitest';
import { loadConfig } from '@switchyard/config';
import { parseRouterServiceConfig } from '@switchyard/routing-engine';
import { budgetSummaryOf, describeBudgetSummary, planConfigOf } from '../src/budget.ts';
import { demoServiceConfig } from '../src/plan.ts';

describe('demo under a dollar budget', () => {
  it("hands switchyard plan the router's own config, with a local ledger (plan runs in one process)", () => {
    const plan = demoServiceConfig({ runId: 'demo-x-0003', kafkaBrokers: ['k:1'], registryUrl: 'http://r', postgresUrl: 'postgres://u@h/d', models: ['a', 'b'], reference: { source: 'synthetic', nHistory: 10, nTest: 5, seed: 1 }, tokensPerMinute: 1_000, policy: 'resolving-dual', partitions: 1, pricesPer1kTokensUsd: { a: 0.01, b: 0.001 } });
    const { routerService, ...shared } = planConfigOf(plan);
    expect(loadConfig({}, shared).models.map((m) => m.costPer1kPromptTokensUsd)).toEqual([0.01, 0.001]);
    expect(parseRouterServiceConfig(routerService)).toMatchObject({ ledger: 'local', reference: { source: 'synthetic' } });
  });

  it('sets the quote against the true spend and counts every request as answered or not', () => {
    const s = budgetSummaryOf({
      runId: 'demo-1',
      jobId: 'demo-1-job',
      quote: { budgetUsd: 2, deadlineMs: null, predictedCostUsd: 1.8, predictedQuality: 0.7 },
      budgetUsd: 2,
      spentUsd: 1.6,
      ledgerSpentUsd: 1.6,
      requests: 100,
      answered: 90,
      rejected: 8,
      deadLettered: 2,
    });
    expect(s).toMatchObject({ budgetUsd: 2, quotedCostUsd: 1.8, spentUsd: 1.6, requests: 100, results: 90, errors: 10, budgetUsedFraction: 0.8 });
    expect(s.quoteErrorFraction).toBeCloseTo(0.125, 12);
    expect(describeBudgetSummary(s)).toContain('80.0% of it');
    expect(budgetSummaryOf({ ...s, quote: { budgetUsd: 2, deadlineMs: null, predictedCostUsd: 0, predictedQuality: 0 }, spentUsd: 0, answered: 0 }).quoteErrorFraction).toBeNull();
  });
});
