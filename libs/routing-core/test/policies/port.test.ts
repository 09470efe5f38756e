import { beforeAll, describe, expect, it } from 'vitest';
import { createPolicy, estimateBatchOf, loadHighsSolver, PortPolicy, createRng, type LpSolver } from '../../src/index.ts';

let solver: LpSolver;
beforeAll(async () => {
  solver = await loadHighsSolver();
});

// Model 0: good and dear; model 1: weaker and cheap.
const est = { quality: [0.9, 0.6], cost: [0.01, 0.001] };

describe('PortPolicy', () => {
  it('learns on the first ceil(eps N) queries, routing uniformly over {models, drop}', () => {
    const port = new PortPolicy({ budgets: [1, 1], streamLength: 1000, alpha: 1e-4, eps: 0.025, gammaMax: 1 }, solver, createRng(7));
    expect(port.learnLimit).toBe(25);
    const counts = [0, 0, 0];
    const learnGamma = Array.from(port.gamma);
    for (let i = 0; i < 25; i++) {
      expect(port.learning).toBe(true);
      const d = port.choose(est);
      counts[d.kind === 'route' ? d.model : 2]!++;
      if (d.kind === 'drop') expect(d.reason).toBe('exploration');
    }
    // gamma is untouched during learning; all three outcomes occur with a fixed seed.
    expect(Array.from(port.gamma)).toEqual(learnGamma);
    expect(counts.every((c) => c > 0)).toBe(true);
    expect(port.learning).toBe(false);
  });

  it('solves gamma once after learning and then routes by argmax(alpha d - gamma g), never re-solving', () => {
    // Budgets so small that the cheap model must be priced: eps*B is tiny compared with the learned costs.
    const port = new PortPolicy({ budgets: [1e-3, 1e-3], streamLength: 40, alpha: 1e-4, eps: 0.025, gammaMax: 1 }, solver, createRng(1));
    port.choose(est);
    const before = port.pricing().version;
    const first = port.choose(est);
    const solved = port.pricing();
    expect(solved.version).toBe(before + 1);
    expect(first.kind).toBe('route');
    const g = solved.prices;
    const s0 = 1e-4 * 0.9 - g[0]! * 0.01;
    const s1 = 1e-4 * 0.6 - g[1]! * 0.001;
    if (first.kind === 'route') expect(first.model).toBe(s0 >= s1 ? 0 : 1);
    for (let i = 0; i < 30; i++) port.choose(est);
    expect(port.pricing().version).toBe(solved.version);
  });

  it('does not fall back: it keeps choosing the argmax model whatever was spent', async () => {
    const port = await createPolicy({ policy: 'port', seed: 3 }, { budgets: [1e-9, 1e-9], streamLength: 4 });
    const decisions = [];
    for (let i = 0; i < 4; i++) decisions.push(port.choose(est));
    const exploit = decisions.slice(1);
    const models = new Set(exploit.map((d) => (d.kind === 'route' ? d.model : -1)));
    expect(models.size).toBe(1);
    expect(exploit.every((d) => d.kind === 'route' && d.fallbackRank === 0)).toBe(true);
  });

  it('routes a batch identically with and without a score kernel', async () => {
    const n = 200;
    const q = new Float64Array(n * 2);
    const c = new Float64Array(n * 2);
    const rng = createRng(5);
    for (let i = 0; i < n * 2; i++) {
      q[i] = rng();
      c[i] = 0.001 + rng() * 0.01;
    }
    const batch = estimateBatchOf(2, q, c);
    const kernel = (input: { nQueries: number; nModels: number; quality: Float32Array; cost: Float32Array; prices: Float32Array; alpha: number }) => {
      const scores = new Float32Array(input.nQueries * input.nModels);
      const best = new Int32Array(input.nQueries);
      for (let j = 0; j < input.nQueries; j++) {
        for (let m = 0; m < input.nModels; m++) {
          const i = j * input.nModels + m;
          scores[i] = input.alpha * input.quality[i]! - input.prices[m]! * input.cost[i]!;
        }
      }
      return { scores, best };
    };
    const ctx = { budgets: [0.2, 0.2], streamLength: n, solver };
    const a = (await createPolicy({ policy: 'port', seed: 9 }, ctx)).chooseBatch(batch);
    const b = (await createPolicy({ policy: 'port', seed: 9 }, ctx)).chooseBatch(batch, kernel);
    const pick = (d: (typeof a)[number]) => (d.kind === 'route' ? d.model : -1);
    const agree = a.filter((d, i) => pick(d) === pick(b[i]!)).length;
    // float32 kernel scores may only flip near-ties.
    expect(agree).toBeGreaterThanOrEqual(n - 2);
  });
});
