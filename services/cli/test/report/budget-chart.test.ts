import { describe, expect, it } from 'vitest';
import { budgetChart, paceEndMs } from '../../src/report/budget-chart.ts';
import { renderReport } from '../../src/report/render.ts';
import type { ReportData, ReportUsdBudget } from '../../src/report/data.ts';

const t0 = Date.UTC(2026, 10, 23, 12, 0);
const budget: ReportUsdBudget = {
  budgetUsd: 2,
  submittedAtMs: t0,
  deadlineMs: t0 + 100_000,
  spend: [
    { atMs: t0 + 10_000, cumulativeUsd: 0.3 },
    { atMs: t0 + 50_000, cumulativeUsd: 1.1 },
    { atMs: t0 + 90_000, cumulativeUsd: 1.9 },
  ],
};

const base: ReportData = {
  jobId: 'job-usd',
  generatedAtMs: t0 + 200_000,
  job: null,
  tenants: ['acme'],
  routed: 3,
  deferred: 0,
  rejected: 0,
  models: [],
  tokensPerMinute: [],
  quality: null,
  results: null,
};

/** The y pixel of a path's last point. */
function lastY(svg: string, series: string): number {
  const m = new RegExp(`data-series="${series}"[\\s\\S]*?d="([^"]*)"`).exec(svg);
  if (m === null) throw new Error(`no ${series}`);
  return Number(m[1]!.trim().split(/\s+/).at(-1));
}

describe('budget use chart', () => {
  it('draws the cumulative spend, the budget and the pace up to the deadline', () => {
    const svg = budgetChart(budget);
    expect([...svg.matchAll(/data-series="(\w+)"/g)].map((m) => m[1])).toEqual(['budget', 'pace', 'spend']);
    expect(svg).toContain('true spend $1.90 of $2.00');
    // The spend ends below the budget line (smaller y is higher): 1.9 < 2.
    const budgetY = Number(/data-series="budget"[\s\S]*?y1="([\d.]+)"/.exec(svg)![1]);
    expect(lastY(svg, 'spend')).toBeGreaterThan(budgetY);
    expect(lastY(svg, 'pace')).toBeCloseTo(budgetY, 2);
    expect(paceEndMs(budget)).toBe(t0 + 100_000);
    expect(paceEndMs({ ...budget, deadlineMs: null })).toBe(t0 + 90_000);
  });

  it('is in the report only for a job with a dollar budget', () => {
    expect(renderReport({ ...base, usdBudget: budget })).toContain('data-chart="budget"');
    expect(renderReport({ ...base, usdBudget: { ...budget, spend: [] } })).toContain('No outcome with a cost yet.');
    const none = renderReport(base);
    expect(none).not.toContain('Budget use over time');
  });
});
