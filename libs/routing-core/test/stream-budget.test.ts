import { describe, expect, it } from 'vitest';
import { BudgetLedger, RoutingError, splitBudget, totalBudget } from '../src/index.ts';

describe('totalBudget', () => {
  it('is factor x the cheapest model total over the stream, skipping missing costs', () => {
    // 2 queries x 3 models: totals 3, 0.5 (NaN skipped), 7.
    const cost = Float64Array.from([1, 0.5, 3, 2, NaN, 4]);
    expect(totalBudget(1, cost, 3)).toBe(0.5);
    expect(totalBudget(2, cost, 3)).toBe(1);
  });
});

describe('splitBudget', () => {
  const means = { quality: [0.9, 0.4], cost: [0.01, 0.0001] };

  it('weighted: proportional to sqrt(mean quality / mean cost)', () => {
    const b = splitBudget(10, 'weighted', means);
    const w = [Math.sqrt(0.9 / 0.01), Math.sqrt(0.4 / 0.0001)];
    expect(b[0]).toBeCloseTo((10 * w[0]!) / (w[0]! + w[1]!), 12);
    expect(b[0]! + b[1]!).toBeCloseTo(10, 12);
  });

  it('cost: proportional to sqrt(1 / mean cost); uniform: equal', () => {
    const c = splitBudget(1, 'cost', means);
    expect(c[1]! / c[0]!).toBeCloseTo(10, 9);
    expect(Array.from(splitBudget(3, 'uniform', means))).toEqual([1.5, 1.5]);
  });

  it('rejects a model without a positive mean cost', () => {
    expect(() => splitBudget(1, 'cost', { quality: [1, 1], cost: [0, 1] })).toThrowError(RoutingError);
  });
});

describe('BudgetLedger serving rule', () => {
  it('serves iff spent + c <= B and charges nothing for a lost query', () => {
    const ledger = new BudgetLedger([1, 0.25]);
    expect(ledger.serve(0, 0.6)).toEqual({ served: true, spent: 0.6 });
    expect(ledger.serve(0, 0.5)).toEqual({ served: false, reason: 'over_budget' });
    expect(ledger.serve(0, 0.4)).toEqual({ served: true, spent: 1 });
    expect(ledger.spent[0]).toBe(1);
    expect(ledger.servedCount[0]).toBe(2);
    expect(ledger.serve(1, 0.25).served).toBe(true);
    expect(ledger.serve(1, 1e-12).served).toBe(false);
    expect(ledger.exceeded()).toBe(false);
  });
});
