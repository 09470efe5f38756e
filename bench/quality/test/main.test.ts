import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSyntheticDataset, writeJsonlDataset } from '@switchyard/datasets';
import { main } from '../main.ts';
import { BudgetLedger, createRng, loadHighsSolver, shuffledIndices, splitBudget, totalBudget } from '@switchyard/routing-core';
import { loadDataset } from '@switchyard/datasets';
import { METHOD_NAMES, prepare, runPolicy, type ProtocolOptions, type QualityReport, type ServingLedger } from '../protocol.ts';

let dir: string;
let dataPath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bench-quality-'));
  dataPath = join(dir, 'tiny.jsonl');
  await writeJsonlDataset(generateSyntheticDataset({ nHistory: 240, nTest: 120, models: 4, seed: 11 }), dataPath);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const statShape = { mean: expect.any(Number), sd: expect.any(Number) };

describe('bench:quality main', () => {
  it('runs the whole protocol on a JSONL dataset and writes the BENCHMARK.md JSON', async () => {
    const out = join(dir, 'report.json');
    const { reports, text } = await main(['--data', dataPath, '--seeds', '3', '--json', out]);
    expect(reports).toHaveLength(1);
    const r = JSON.parse(await readFile(out, 'utf8')) as QualityReport;
    expect(r).toMatchObject({ factor: 1, split: 'weighted', seeds: 3, nTest: 120, nHistory: 240 });
    expect(typeof r.dataset).toBe('string');
    expect(typeof r.embedder).toBe('string');
    expect(Object.keys(r.methods).sort()).toEqual([...METHOD_NAMES].sort());
    for (const name of METHOD_NAMES) {
      const m = r.methods[name];
      expect(m).toEqual({
        performance: statShape,
        cost: statShape,
        served: statShape,
        lost: statShape,
        efficiency: statShape,
        budgetExceeded: false,
        decisionsPerSecond: expect.any(Number),
      });
      // The LP on true values bounds every method under the per-model budgets, rounded or online
      // (usd-budget pools the same total across models, a looser setting the LP does not bound).
      if (name !== 'usd-budget') expect(m.performance.mean).toBeLessThanOrEqual(r.coptLpValue + 1e-9);
      // Served queries have quality in [0, 1] and no method serves more than the stream.
      expect(m.performance.mean).toBeLessThanOrEqual(m.served.mean + 1e-9);
      expect(m.served.mean).toBeLessThanOrEqual(r.nTest);
    }
    // Copt's rounding only loses the few fractional queries of a basic LP solution (<= one per model).
    expect(r.methods.opt.performance.mean).toBeGreaterThanOrEqual(r.coptLpValue - 4);
    for (const name of METHOD_NAMES) if (name !== 'usd-budget') expect(r.methods.opt.performance.mean).toBeGreaterThanOrEqual(r.methods[name].performance.mean - 1e-9);
    // The dollar-budget method never spends more than the pooled total and uses most of it; its
    // quote is reported beside what it realised.
    const u = r.methods['usd-budget'];
    expect(u.served.mean).toBeGreaterThan(0);
    expect(r.usdQuote.realisedCostUsd.mean).toBeCloseTo(u.cost.mean, 9);
    expect(r.usdQuote.realisedQuality.mean).toBeCloseTo(u.performance.mean, 9);
    expect(r.usdQuote.predictedCostUsd.mean).toBeGreaterThan(0);
    expect(r.usdQuote.costErrorFraction).toBeGreaterThanOrEqual(0);
    expect(text).toContain('its quote (estimates of the chosen models) vs realised');
    // est-opt is a fixed assignment: consistency of quality, served and cost figures.
    const e = r.methods['est-opt'];
    expect(e.performance.mean).toBeGreaterThan(0);
    expect(e.cost.mean).toBeGreaterThan(0);
    // Mean of per-seed ratios vs ratio of means: equal up to the spread across stream orders.
    expect(Math.abs(e.efficiency.mean - e.performance.mean / e.cost.mean) / e.efficiency.mean).toBeLessThan(0.01);
    expect(text).toContain('| resolving-dual');
    // The router as deployed is its own row and the report names it as the project's method.
    expect(r.primary).toBe('deployed');
    expect(text).toContain('| deployed (primary)');
    expect(r.methods.deployed.served.mean).toBeGreaterThan(0);
  });

  it('budgetExceeded is measured on served true costs: a serving step that overspends is caught', async () => {
    const ds = await loadDataset(dataPath, { countTokens: false });
    const opts: ProtocolOptions = { factors: [1], splits: ['weighted'], seeds: [0], k: 5, annKind: 'exact', weighting: 'uniform', batchSize: 16 };
    const p = prepare(ds, opts);
    const M = p.models.length;
    const budgets = splitBudget(totalBudget(0.5, p.trueCost, M), 'weighted', p.historyMeans);
    const order = shuffledIndices(p.nTest, createRng(0));
    const solver = await loadHighsSolver();
    // random sends queries regardless of budgets: the real ledger
    // refuses (lost, nothing exceeded); a ledger that serves everything overspends and is reported.
    const honest = await runPolicy(p, { policy: 'random', seed: 1 }, p.ann, budgets, order, opts, solver, new BudgetLedger(budgets));
    expect(honest.exceeded).toBe(false);
    expect(honest.lost).toBeGreaterThan(0);
    const leaky: ServingLedger = { serve: () => ({ served: true }) };
    const broken = await runPolicy(p, { policy: 'random', seed: 1 }, p.ann, budgets, order, opts, solver, leaky);
    expect(broken.lost).toBe(0);
    expect(broken.exceeded).toBe(true);
  });

  it('reports every factor and split with --factor all --split all', async () => {
    const { reports } = await main(['--data', dataPath, '--seeds', '1', '--factor', 'all', '--split', 'all', '--kernel', 'none']);
    expect(reports.map((r) => `${r.factor}/${r.split}`)).toEqual([
      '0.5/weighted', '0.5/uniform', '0.5/cost', '1/weighted', '1/uniform', '1/cost', '2/weighted', '2/uniform', '2/cost',
    ]);
    // A larger budget never lowers the LP bound.
    const bound = (f: number) => reports.find((r) => r.factor === f && r.split === 'weighted')!.coptLpValue;
    expect(bound(2)).toBeGreaterThanOrEqual(bound(1));
    expect(bound(1)).toBeGreaterThanOrEqual(bound(0.5));
  });

  it('rejects an unknown split', async () => {
    await expect(main(['--data', dataPath, '--split', 'bogus'])).rejects.toThrow(/split must be one of/);
  });
});
