import { describe, expect, it } from 'vitest';
import { generateSyntheticDataset } from '../src/index.ts';

describe('generateSyntheticDataset', () => {
  const ds = generateSyntheticDataset({ nHistory: 3000, nTest: 500, models: 6, tasks: 3, seed: 42 });

  it('is deterministic in its seed', () => {
    const again = generateSyntheticDataset({ nHistory: 3000, nTest: 500, models: 6, tasks: 3, seed: 42 });
    expect(again.test[17]!.prompt).toBe(ds.test[17]!.prompt);
    expect(Array.from(again.history[5]!.cost)).toEqual(Array.from(ds.history[5]!.cost));
    const other = generateSyntheticDataset({ nHistory: 10, nTest: 0, models: 6, seed: 43 });
    expect(other.history[0]!.prompt).not.toBe(ds.history[0]!.prompt);
  });

  it('has the requested shape, binary quality, positive cost and tokens above the prompt', () => {
    expect(ds.models).toHaveLength(6);
    expect(ds.history).toHaveLength(3000);
    expect(ds.test).toHaveLength(500);
    for (const q of ds.history.slice(0, 200)) {
      for (let m = 0; m < 6; m++) {
        const v = q.quality[m]!;
        expect(Number.isNaN(v) || v === 0 || v === 1).toBe(true);
        expect(q.cost[m]!).toBeGreaterThan(0);
        expect(q.tokens[m]!).toBeGreaterThan(q.promptTokens);
      }
    }
  });

  const big = generateSyntheticDataset({ nHistory: 20_000, nTest: 0, models: 6, tasks: 3, seed: 42 });
  const meanQuality = (qs: readonly { quality: Float64Array }[], m: number): number => {
    const vals = qs.map((q) => q.quality[m]!).filter((v) => !Number.isNaN(v));
    return vals.reduce((a, b) => a + b, 0) / vals.length;
  };
  const pricePerToken = (m: number): number => big.history[0]!.cost[m]! / big.history[0]!.tokens[m]!;

  it('makes the best model depend on the task: no model is best on every task', () => {
    const best = new Set<number>();
    for (const task of ['task-0', 'task-1', 'task-2']) {
      const qs = big.history.filter((q) => q.task === task);
      const acc = big.models.map((_, m) => meanQuality(qs, m));
      best.add(acc.indexOf(Math.max(...acc)));
    }
    expect(best.size).toBeGreaterThan(1);
  });

  it('makes quality cost money: the best model overall is the dearest, the cheapest is the worst', () => {
    const acc = big.models.map((_, m) => meanQuality(big.history, m));
    const prices = big.models.map((_, m) => pricePerToken(m));
    const best = acc.indexOf(Math.max(...acc));
    expect(prices[best]).toBe(Math.max(...prices));
    expect(acc[prices.indexOf(Math.min(...prices))]).toBe(Math.min(...acc));
  });

  it('draws the models before the queries, so the same seed gives the same models at any size', () => {
    const small = generateSyntheticDataset({ nHistory: 5, nTest: 1, models: 6, tasks: 3, seed: 42 });
    expect(small.models.map((_, m) => small.history[0]!.cost[m]! / small.history[0]!.tokens[m]!)).toEqual(big.models.map((_, m) => pricePerToken(m)));
  });

  it('prices models differently', () => {
    const perToken = ds.models.map((_, m) => ds.history[0]!.cost[m]! / ds.history[0]!.tokens[m]!);
    expect(Math.max(...perToken) / Math.min(...perToken)).toBeGreaterThan(2);
  });
});
