import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSyntheticDataset, writeJsonlDataset } from '@switchyard/datasets';
import { main } from '../main.ts';
import { pairedDiff, VARIANTS, type FeedbackReport } from '../run.ts';
import type { ScenarioReport } from '../scenario-run.ts';
import { SCENARIOS } from '../scenarios.ts';
import { LEARNING_CURVE_FRACTIONS, type LearningCurveReport } from '../learning-curve.ts';


let dir: string;
let dataPath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bench-feedback-'));
  dataPath = join(dir, 'tiny.jsonl');
  await writeJsonlDataset(generateSyntheticDataset({ nHistory: 200, nTest: 120, models: 3, seed: 5 }), dataPath);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('bench:feedback main', () => {
  it('runs every variant on the same budgets, within them, and writes the JSON report', async () => {
    const out = join(dir, 'report.json');
    const { report, text } = await main(['--data', dataPath, '--seeds', '2', '--cold', '0.2', '--batch', '16', '--json', out]);
    const r = JSON.parse(await readFile(out, 'utf8')) as FeedbackReport;
    expect(r).toEqual(report);
    expect(r).toMatchObject({ seeds: 2, nTest: 120, nHistory: 200, nCold: 40, coldFraction: 0.2, batchSize: 16 });
    expect(Object.keys(r.variants).sort()).toEqual([...VARIANTS].sort());
    for (const v of VARIANTS) {
      const m = r.variants[v]!;
      expect(m.budgetExceeded).toBe(false);
      expect(m.quarters).toHaveLength(4);
      expect(m.quarters.reduce((a, q) => a + q.mean, 0)).toBeCloseTo(m.performance.mean, 9);
      expect(m.served.mean).toBeGreaterThan(0);
      expect(m.estimateMae).toHaveLength(4);
      for (const e of m.estimateMae) expect(e.mean).toBeGreaterThan(0);
      expect(m.perSeed).toHaveLength(2);
      expect(m.perSeed.reduce((a, b) => a + b, 0) / 2).toBeCloseTo(m.performance.mean, 9);
      expect(text).toContain(`| ${v} `);
    }
    // Paired differences are per seed, against the same cold set and stream.
    const d = r.paired['on - off']!;
    expect(d.perSeed).toEqual(r.variants.on!.perSeed.map((x, i) => x - r.variants.off!.perSeed[i]!));
    expect(d.ci95[0]).toBeLessThanOrEqual(d.mean);
    expect(d.ci95[1]).toBeGreaterThanOrEqual(d.mean);
    expect(Object.keys(r.paired).sort()).toEqual([...VARIANTS.filter((v) => v !== 'off' && v !== 'warm').map((v) => `${v} - off`), 'on - warm'].sort());
    expect(text).toContain('paired on - off');
    // The reported options are the defaults: no bonus in `on`.
    expect(r.feedback.ucb.beta).toBe(0);
    // Feedback variants append one row per served query; the others never grow.
    for (const v of ['on', 'on-append-only', 'on-bonus', 'on-calibrated', 'on-imputed', 'oracle-rows'] as const) expect(r.variants[v]!.appended.mean).toBe(r.variants[v]!.served.mean);
    // The all-rows ceiling learns every streamed query, served or not.
    expect(r.variants['oracle-all-rows']!.appended.mean).toBe(120);
    for (const v of ['off', 'warm', 'on-cost-only'] as const) expect(r.variants[v]!.appended.mean).toBe(0);
    // Same cold start and stream: before many rows are added the estimates hardly differ.
    expect(r.variants['on-append-only']!.estimateMae[0]!.mean).toBeCloseTo(r.variants.off!.estimateMae[0]!.mean, 1);
  });

  it('pairedDiff: mean of the differences with a Student-t interval', () => {
    const p = pairedDiff([3, 5, 7], [1, 1, 1]);
    expect(p.perSeed).toEqual([2, 4, 6]);
    expect(p.mean).toBe(4);
    // sd 2, n 3: half-width 4.303 * 2 / sqrt(3)
    expect(p.ci95[0]).toBeCloseTo(4 - (4.303 * 2) / Math.sqrt(3), 9);
    expect(p.ci95[1]).toBeCloseTo(4 + (4.303 * 2) / Math.sqrt(3), 9);
    expect(() => pairedDiff([1], [1, 2])).toThrow();
  });

  it('rejects a bad bonus target', async () => {
    await expect(main(['--data', dataPath, '--bonus-target', 'nowhere'])).rejects.toThrow(/bonus-target/);
  });
});

describe('bench:feedback --scenario', () => {
  it('runs every change scenario with off, on and oracle on the same seeds, within budget, in the documented JSON shape', async () => {
    const out = join(dir, 'scenarios.json');
    const { report, text } = await main(['--data', dataPath, '--scenario', 'all', '--cold-rows', '50', '--seeds', '2', '--batch', '16', '--json', out]);
    const r = JSON.parse(await readFile(out, 'utf8')) as ScenarioReport;
    expect(r).toEqual(report);
    expect(Object.keys(r.scenarios).sort()).toEqual([...SCENARIOS].sort());
    for (const name of SCENARIOS) {
      const s = r.scenarios[name]!;
      expect(Object.keys(s.variants).sort()).toEqual(['off', 'on', 'oracle']);
      for (const v of ['off', 'on', 'oracle'] as const) {
        const m = s.variants[v];
        expect(m.budgetExceeded).toBe(false);
        expect(m.perSeed).toHaveLength(2);
        expect(m.quarters.reduce((a, q) => a + q.mean, 0)).toBeCloseTo(m.performance.mean, 9);
        expect(m.served.mean).toBeGreaterThan(0);
      }
      expect(s.onMinusOff.perSeed).toEqual(s.variants.on.perSeed.map((x, i) => x - s.variants.off.perSeed[i]!));
      expect(s.onMinusOff.ci95[0]).toBeLessThanOrEqual(s.onMinusOff.mean);
      if (s.gapClosed !== null) {
        const { on, off, oracle } = s.variants;
        expect(s.gapClosed).toBeCloseTo((on.performance.mean - off.performance.mean) / (oracle.performance.mean - off.performance.mean), 9);
      }
      expect(text).toContain(`| ${name} `);
    }
    // Nothing changes in `stationary`: the oracle knows what off knows and routes identically.
    expect(r.scenarios.stationary!.variants.oracle.perSeed).toEqual(r.scenarios.stationary!.variants.off.perSeed);
    // The new model has no history: off can never route to it, the oracle (its history) does.
    // (Whether `on` earns it traffic depends on the model; the prior and bonus are tested in model.test.ts.)
    const nm = r.scenarios['new-model']!;
    expect(nm.variants.off.changedServed.mean).toBe(0);
    expect(nm.variants.oracle.changedServed.mean).toBeGreaterThan(0);
    // Price scenarios: the changed model's share before and after the change; the follow figure
    // is measured in `on` only, in outcomes of the changed model after the change.
    const pc = r.scenarios['price-change']!;
    for (const v of ['off', 'on', 'oracle'] as const) {
      expect(pc.variants[v].changedShareBefore.mean).toBeGreaterThanOrEqual(0);
      expect(pc.variants[v].changedShareAfter.mean).toBeLessThanOrEqual(1);
    }
    expect(pc.variants.off.followOutcomes).toBeNull();
    expect(pc.variants.off.followReached).toBe(0);
    if (pc.variants.on.followOutcomes) expect(pc.variants.on.followOutcomes.mean).toBeGreaterThanOrEqual(1);
    expect(text).toContain("price-change: the changed model's share of served queries before -> after the change");
    // cold-incomplete streams the unused history before the test split.
    const cold = r.scenarios['cold-incomplete']!;
    expect(cold.testFrom).toBe(200 - 50);
    expect(cold.nStream).toBe(cold.testFrom + 120);
  });
});

describe('bench:feedback --learning-curve', () => {
  it('runs off on stationary from nested shares of the history; from all of it, it is the stationary off', async () => {
    const out = join(dir, 'curve.json');
    const { text } = await main(['--data', dataPath, '--scenario', 'stationary', '--learning-curve', '--seeds', '2', '--batch', '16', '--json', out]);
    const r = JSON.parse(await readFile(out, 'utf8')) as ScenarioReport & { learningCurve: LearningCurveReport };
    expect(r.learningCurve.points.map((p) => p.fraction)).toEqual([...LEARNING_CURVE_FRACTIONS]);
    expect(r.learningCurve.points.map((p) => p.historyRows)).toEqual([20, 50, 100, 200]);
    for (const p of r.learningCurve.points) {
      expect(p.budgetExceeded).toBe(false);
      expect(p.perSeed).toHaveLength(2);
    }
    // The 100% row is the stationary scenario's `off`, seed by seed.
    expect(r.learningCurve.points.at(-1)!.perSeed).toEqual(r.scenarios.stationary!.variants.off.perSeed);
    expect(text).toContain('learning curve: off');
    expect(text).toContain('| 10%');
  });
});
