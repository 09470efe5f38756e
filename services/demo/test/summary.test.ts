import { describe, expect, it } from 'vitest';
import { renderComparison, renderSummary } from '../src/summary.ts';
import type { ModelDecisions } from '@switchyard/cli';

const decisions: ModelDecisions[] = [
  { model: 'a', requests: 3, estimatedTokens: 1_500, batches: 1, meanPredictedQuality: 0.9, predictedCostUsd: 0.01 },
  { model: 'b', requests: 1, estimatedTokens: 200, batches: 1, meanPredictedQuality: 0.5, predictedCostUsd: 0.001 },
];

describe('renderSummary', () => {
  it('shows decisions per model and request-weighted totals', () => {
    const lines = renderSummary(decisions, null).split('\n');
    expect(lines[0]).toMatch(/^model\s+requests\s+est\. tokens\s+batches\s+pred\. quality$/);
    expect(lines[2]).toMatch(/^a\s+3\s+1,500\s+1\s+0\.900$/);
    expect(lines[4]).toMatch(/^total\s+4\s+1,700\s+2\s+0\.800$/);
  });

  it('adds true quality, tokens and cost when outcomes exist', () => {
    const text = renderSummary(decisions, [{ model: 'a', received: 2, tokens: 900, meanQuality: 0.5, costUsd: 0.02 }]);
    const lines = text.split('\n');
    expect(lines[0]).toContain('true quality');
    expect(lines[2]).toMatch(/^a\s+3\s+1,500\s+1\s+0\.900\s+2\s+0\.500\s+900\s+0\.0200$/);
    expect(lines[3]).toMatch(/^b\s+1\s+200\s+1\s+0\.500\s+0\s+-\s+0\s+0\.0000$/);
  });
});

describe('renderComparison', () => {
  it('compares routing with each model under the same budget and says by how much routing differs from the best', () => {
    const text = renderComparison({
      rewarded: 9,
      jobMeanReward: 0.8,
      requests: 10,
      jobMeanOverRequests: 0.72,
      perModel: [
        { model: 'dear', expectedMeanReward: 0.95, servedRequests: 5, meanOverRequests: 0.475 },
        { model: 'cheap', expectedMeanReward: 0.6, servedRequests: null, meanOverRequests: 0.6 },
        { model: 'new', expectedMeanReward: null, servedRequests: null, meanOverRequests: null },
      ],
    });
    const lines = (text ?? '').split('\n');
    expect(lines[2]).toMatch(/^this job, as routed\s+0\.720\s+9 of 10$/);
    expect(lines[3]).toMatch(/^dear alone\s+0\.475\s+5 of 10$/);
    expect(lines[4]).toMatch(/^cheap alone\s+0\.600\s+all \(no budget bound\)$/);
    expect(lines[5]).toMatch(/^new alone\s+\S*\s+no outcomes$/);
    expect(lines.at(-1)).toBe('routing scored 0.120 above the best single model under the same budget (cheap)');
    expect(renderComparison(null)).toBeNull();
  });
});
