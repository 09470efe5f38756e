import { describe, expect, it } from 'vitest';
import { sampleOutcome } from '@switchyard/contracts';
import { SEGMENT_HEADER } from '@switchyard/executor-kit';
import { derivedCostUsd, segmentFromHeaders, toOutcomeRecord } from '../src/index.ts';

const prices = { costPer1kPromptTokensUsd: 0.5, costPer1kCompletionTokensUsd: 1.5 };
const source = { topic: 'outcomes', partition: 2, offset: '41' };

describe('toOutcomeRecord', () => {
  it('keeps a reported cost', () => {
    const r = toOutcomeRecord(sampleOutcome({ costUsd: 0.02 }), 'arc', prices, source);
    expect(r).toMatchObject({ costUsd: 0.02, costSource: 'reported', segment: 'arc', sourcePartition: 2, sourceOffset: '41' });
  });

  it('derives a missing cost from configured prices, or leaves it unknown', () => {
    const o = sampleOutcome({ costUsd: null, promptTokens: 1_000, completionTokens: 2_000 });
    expect(toOutcomeRecord(o, null, prices, source)).toMatchObject({ costUsd: 3.5, costSource: 'derived' });
    expect(toOutcomeRecord(o, null, {}, source)).toMatchObject({ costUsd: null, costSource: null });
    expect(derivedCostUsd(undefined, 1, 1)).toBeNull();
  });
});

describe('segmentFromHeaders', () => {
  it('reads the segment header as UTF-8 and drops unusable values', () => {
    expect(segmentFromHeaders({ [SEGMENT_HEADER]: Buffer.from('wino', 'utf8') })).toBe('wino');
    expect(segmentFromHeaders({ [SEGMENT_HEADER]: [Buffer.from('first'), Buffer.from('second')] })).toBe('first');
    expect(segmentFromHeaders({ [SEGMENT_HEADER]: '*' })).toBeNull();
    expect(segmentFromHeaders({})).toBeNull();
    expect(segmentFromHeaders(undefined)).toBeNull();
  });
});
