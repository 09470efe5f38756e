import { describe, expect, it } from 'vitest';
import { defaultDatasetPath, loadDataset } from '../src/index.ts';

const path = defaultDatasetPath();

describe.skipIf(path === undefined)('RouterBench subset (real data, skipped when ../shared/data/routerbench-subset is absent)', () => {
  it('loads 2225 history and 953 test queries over 11 models with 154 missing correctness cells', async () => {
    const ds = await loadDataset(path!, { countTokens: false });
    expect(ds.format).toBe('routerbench-csv');
    expect(ds.history).toHaveLength(2225);
    expect(ds.test).toHaveLength(953);
    expect(ds.models).toHaveLength(11);
    expect(ds.models).toContain('gpt-4-1106-preview');
    let nan = 0;
    let costNan = 0;
    for (const q of [...ds.history, ...ds.test]) {
      for (const v of q.quality) if (Number.isNaN(v)) nan++;
      for (const v of q.cost) if (Number.isNaN(v)) costNan++;
      expect(q.prompt.startsWith("['")).toBe(false);
    }
    expect(nan).toBe(154);
    expect(costNan).toBe(0);
    expect(new Set(ds.history.map((q) => q.task))).toEqual(new Set(['arc-challenge', 'mbpp', 'winogrande']));
  });
});
