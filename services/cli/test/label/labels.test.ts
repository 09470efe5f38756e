import { describe, expect, it } from 'vitest';
import type { StoredOutcome } from '@switchyard/store';
import { parseLabelLines, planLabels } from '../../src/label/labels.ts';

const stored = (requestId: string, quality: number | null, jobId = 'job'): StoredOutcome => ({
  requestId, jobId, tenant: 't', model: 'm', batchId: 'b', segment: 'arc', quality, success: true,
  promptTokens: 10, completionTokens: 5, latencyMs: 30, error: null, costUsd: 0.01, completedAtMs: 5_000,
});

describe('parseLabelLines', () => {
  it('reads custom_id or request_id with a quality in [0, 1], and reports every bad line by number', () => {
    const text = ['{"custom_id": "a1", "quality": 0.5}', '{"request_id": "job-L3", "quality": 1}', '', '{"custom_id": 7, "quality": 0}', 'nope', '{"quality": 0.2}', '{"custom_id": "x", "quality": 1.5}', '[1]'].join('\n');
    const { labels, bad } = parseLabelLines(text);
    expect(labels).toEqual([
      { lineNo: 1, key: { kind: 'custom', id: 'a1' }, quality: 0.5 },
      { lineNo: 2, key: { kind: 'request', id: 'job-L3' }, quality: 1 },
      { lineNo: 4, key: { kind: 'custom', id: '7' }, quality: 0 },
    ]);
    expect(bad.map((b) => b.lineNo)).toEqual([5, 6, 7, 8]);
  });
});

describe('planLabels', () => {
  it('sends a newer outcome version carrying the label, keeping usage, cost and segment', () => {
    const plan = planLabels('job', [{ lineNo: 1, requestId: 'r1', quality: 0.25 }], new Map([['r1', stored('r1', 0.9)]]), new Map());
    expect(plan.events).toEqual([{ segment: 'arc', outcome: expect.objectContaining({ requestId: 'r1', quality: 0.25, costUsd: 0.01, promptTokens: 10, completedAt: 5_001 }) }]);
    expect(plan.records).toEqual([{ requestId: 'r1', jobId: 'job', quality: 0.25, executorQuality: 0.9 }]);
  });

  it('takes the last label of a request in the file, and leaves applied labels alone', () => {
    const outcomes = new Map([['r1', stored('r1', 0.4)], ['r2', stored('r2', 0.7)]]);
    const labels = [{ lineNo: 1, requestId: 'r1', quality: 0.1 }, { lineNo: 2, requestId: 'r1', quality: 0.4 }, { lineNo: 3, requestId: 'r2', quality: 0.7 }];
    const plan = planLabels('job', labels, outcomes, new Map([['r1', 0.4]]));
    expect(plan.unchanged).toBe(1);
    expect(plan.events).toEqual([]);
    expect(plan.records).toEqual([{ requestId: 'r2', jobId: 'job', quality: 0.7, executorQuality: 0.7 }]);
  });

  it('reports labels of requests without an outcome or of another job', () => {
    const plan = planLabels('job', [{ lineNo: 1, requestId: 'r1', quality: 1 }, { lineNo: 2, requestId: 'r9', quality: 1 }], new Map([['r1', stored('r1', 0, 'other')]]), new Map());
    expect(plan.missing.map((m) => m.lineNo)).toEqual([1, 2]);
    expect(plan.events).toEqual([]);
  });
});
