import { describe, expect, it } from 'vitest';
import { loadConfig } from '@switchyard/config';
import { RouterConfigError, budgetRulesOf, compileRouterConfig, parseRouterServiceConfig } from '../src/config.ts';
import { policyBudgetsUsd } from '../src/policy-holder.ts';

const shared = (over: Record<string, unknown> = {}) =>
  loadConfig(
    {},
    {
      postgres: { connectionString: 'postgres://u@localhost/db' },
      models: [
        { name: 'a', tokensPerMinute: 1_000, tokensPerDay: 100_000, maxBatchTokens: 500, maxBatchRequests: 8 },
        { name: 'b', tokensPerMinute: 2_000, maxBatchTokens: 500, maxBatchRequests: 8 },
      ],
      budgets: { tenants: { acme: { tokensPerMinute: 300, tokensPerDay: 9_000 } }, jobs: { j1: { tokensPerDay: 50 } } },
      ...over,
    },
  );

describe('router config', () => {
  it('derives one budget rule per configured window, with ids from names only', () => {
    expect(budgetRulesOf(shared()).map((r) => [r.id, r.windowMs, r.limitTokens])).toEqual([
      ['model:a:minute', 60_000, 1_000],
      ['model:a:day', 86_400_000, 100_000],
      ['model:b:minute', 60_000, 2_000],
      ['tenant:acme:minute', 60_000, 300],
      ['tenant:acme:day', 86_400_000, 9_000],
      ['job:j1:day', 86_400_000, 50],
    ]);
  });

  it('fills service defaults and freezes the result', () => {
    const svc = parseRouterServiceConfig({ reference: { source: 'synthetic' } });
    expect(svc.ledger).toBe('postgres');
    expect(svc.ann).toEqual({ kind: 'usearch', k: 5, weighting: 'uniform' });
    expect(Object.isFrozen(svc.ann)).toBe(true);
  });

  it('names the path and rule of an invalid service setting', () => {
    expect(() => parseRouterServiceConfig({ reference: { source: 'dataset' } })).toThrow(/service\.reference\.path/);
    expect(() => parseRouterServiceConfig({ reference: { source: 'synthetic' }, httpPort: -1 })).toThrow(RouterConfigError);
  });

  it('refuses settings that contradict each other', () => {
    const svc = parseRouterServiceConfig({ reference: { source: 'synthetic' }, modelColumns: { zz: 'x' }, embedding: { dim: 64 } });
    expect(() => compileRouterConfig(shared({ router: { embeddingDim: 32 } }), svc)).toThrow(/modelColumns\.zz.*embeddingDim/s);
    const noPg = loadConfig({}, { models: [{ name: 'a', tokensPerMinute: 1, maxBatchTokens: 1, maxBatchRequests: 1 }] });
    expect(() => compileRouterConfig(noPg, parseRouterServiceConfig({ reference: { source: 'synthetic' } }))).toThrow(/postgres/);
  });

  it('prices a model day budget in USD from its reference rate, borrowing the mean rate when unknown', () => {
    const budgets = policyBudgetsUsd(shared().models, [1e-6, Number.NaN]);
    expect(budgets[0]).toBeCloseTo(100_000 * 1e-6);
    expect(budgets[1]).toBeCloseTo(2_000 * 1_440 * 1e-6);
  });
});
