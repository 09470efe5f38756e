import { describe, expect, it } from 'vitest';
import { quoteJob } from '@switchyard/routing-core';
import { formatPlan, planJson } from '../../src/plan/format.ts';

describe('plan output', () => {
  const quote = quoteJob({
    models: [{ name: 'cheap', tokensPerMinute: 60_000 }, { name: 'dear', tokensPerMinute: 6_000 }],
    estimates: [
      { quality: [0.5, 0.9], costUsd: [0.01, 0.1], tokens: [600, 600] },
      { quality: [0.4, 0.8], costUsd: [0.01, 0.1], tokens: [600, 600] },
    ],
    chosen: [1, 0],
    budgetUsd: 0.15,
    deadlineSeconds: 3,
  });

  it('writes the fields tools and the benchmark read', () => {
    const j = planJson('job-1', 'resolving-dual', quote, 5_000);
    expect(j).toMatchObject({ jobId: 'job-1', budgetUsd: 0.15, deadlineMs: 5_000, requests: 2, routed: 2, meetsDeadline: false });
    expect(j.predictedCostUsd).toBeCloseTo(0.11, 12);
    expect(j.predictedQuality).toBeCloseTo(0.65, 12);
    expect(j.finishSeconds).toBeCloseTo(6, 12);
    expect(j.models.map((m) => m.name)).toEqual(['cheap', 'dear']);
    expect(j.singleModel.map((m) => [m.name, m.fitsBudget])).toEqual([['cheap', true], ['dear', false]]);
    expect(JSON.parse(JSON.stringify(j))).toEqual(j);
  });

  it('prints the quote, the mix and each model alone', () => {
    const text = formatPlan(planJson('job-1', 'resolving-dual', quote, null));
    expect(text).toContain('quote: $0.1100, quality 0.650');
    expect(text).toMatch(/dear\s+1\s+\$0\.1000\s+0\.450/);
    expect(text).toMatch(/one model alone/);
    expect(text).toMatch(/dear\s+1\s+\$0\.1000\s+0\.450\s+6 s\s+no/);
  });
});
