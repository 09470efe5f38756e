import { describe, expect, it } from 'vitest';
import { renderSummary } from '../src/summary.ts';
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
