import { describe, expect, it } from 'vitest';
import { GreedyPolicy, RandomPolicy, createRng } from '../../src/index.ts';

describe('baselines', () => {
  it('greedy-perf takes the highest d^ among models whose estimated budget covers g^', () => {
    const p = new GreedyPolicy('greedy-perf', [0.015, 1]);
    const est = { quality: [0.9, 0.5], cost: [0.01, 0.01] };
    expect(p.choose(est)).toMatchObject({ kind: 'route', model: 0, fallbackRank: 0 });
    // estimated spend on model 0 is now 0.01, 0.005 left < 0.01
    expect(p.choose(est)).toMatchObject({ kind: 'route', model: 1, fallbackRank: 1 });
  });

  it('greedy-cost takes the model with the most estimated budget left', () => {
    const p = new GreedyPolicy('greedy-cost', [0.05, 0.04]);
    const est = { quality: [0.1, 0.9], cost: [0.02, 0.001] };
    expect(p.choose(est)).toMatchObject({ kind: 'route', model: 0 });
    // 0.03 vs 0.04 left
    expect(p.choose(est)).toMatchObject({ kind: 'route', model: 1 });
  });

  it('drops with no_budget when no model can cover its estimate', () => {
    const p = new GreedyPolicy('knn-perf', [0.001, 0.001]);
    expect(p.choose({ quality: [1, 1], cost: [0.01, 0.01] })).toEqual({ kind: 'drop', reason: 'no_budget' });
  });

  it('random routes over all models', () => {
    const p = new RandomPolicy(3, createRng(2));
    const seen = new Set<number>();
    for (let i = 0; i < 60; i++) {
      const d = p.choose({ quality: [0, 0, 0], cost: [1, 1, 1] });
      if (d.kind === 'route') seen.add(d.model);
    }
    expect([...seen].sort()).toEqual([0, 1, 2]);
  });
});
