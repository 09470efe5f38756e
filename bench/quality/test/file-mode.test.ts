import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSyntheticDataset, writeJsonlDataset } from '@switchyard/datasets';
import { main, type FileModeReport } from '../file-mode-main.ts';

let dir: string;
let dataPath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bench-file-mode-'));
  dataPath = join(dir, 'tiny.jsonl');
  await writeJsonlDataset(generateSyntheticDataset({ nHistory: 300, nTest: 150, models: 4, seed: 5 }), dataPath);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('bench:filemode', () => {
  it('routes every seed through file mode and the usd-budget method under one budget, scored by the same truth', async () => {
    const out = join(dir, 'file-mode.json');
    const { reports, text } = await main(['--data', dataPath, '--seeds', '2', '--factor', '1,3', '--json', out]);
    const written = JSON.parse(await readFile(out, 'utf8')) as FileModeReport[];
    expect(written.map((r) => r.factor)).toEqual([1, 3]);
    for (const r of reports) {
      for (const name of ['usd-budget', 'file-mode'] as const) {
        const m = r.methods[name];
        expect(m.perSeed).toHaveLength(2);
        // Neither may pass the budget: true costs settle as they are, overruns included.
        expect(m.exceeded).toBe(false);
        for (const s of m.perSeed) expect(s.cost).toBeLessThanOrEqual(r.budgetUsd * (1 + 1e-9));
        expect(m.served.mean).toBeGreaterThan(0);
        expect(m.performance.mean).toBeGreaterThan(0);
      }
      expect(r.performanceDiff.perSeed).toEqual(r.methods['file-mode'].perSeed.map((s, i) => s.performance - r.methods['usd-budget'].perSeed[i]!.performance));
    }
    // Three times the budget buys file mode more than the forced cheapest choice of factor 1.
    expect(reports[1]!.methods['file-mode'].performance.mean).toBeGreaterThan(reports[0]!.methods['file-mode'].performance.mean);
    expect(text).toContain('file mode (route --budget-usd)');
  }, 240_000);
});
