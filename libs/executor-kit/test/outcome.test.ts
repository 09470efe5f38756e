import { describe, expect, it } from 'vitest';
import { sampleRoutedBatch, sampleRoutedRequest } from '@switchyard/contracts';
import { buildOutcome, checkOutcome, planBatchOutcomes, segmentOf } from '../src/index.ts';
import type { ExecutionResult } from '../src/index.ts';

const batch = sampleRoutedBatch({
  batchId: 'b-1',
  model: 'm-1',
  requests: [
    sampleRoutedRequest({ requestId: 'a', jobId: 'j', tenant: 't', metadata: { task: 'arc' } }),
    sampleRoutedRequest({ requestId: 'b', jobId: 'j', tenant: 't', metadata: {} }),
  ],
});
const ok = (requestId: string, extra: Partial<ExecutionResult> = {}): ExecutionResult => ({ requestId, quality: 1, promptTokens: 5, completionTokens: 7, latencyMs: 12.4, ...extra });

describe('buildOutcome', () => {
  it('takes ids from the batch and request, observations from the result', () => {
    const outcome = buildOutcome(batch, batch.requests[0]!, ok('a', { error: 'boom', quality: null }), 1_000);
    expect(outcome).toEqual({
      requestId: 'a', jobId: 'j', tenant: 't', model: 'm-1', batchId: 'b-1', quality: null, success: null,
      promptTokens: 5, completionTokens: 7, latencyMs: 12, error: 'boom', costUsd: null, completedAt: 1_000,
      customId: null, statusCode: null, response: null,
    });
    expect(checkOutcome(outcome).ok).toBe(true);
  });

  it('carries the request\'s customId and the call\'s status code and response body', () => {
    const request = { ...batch.requests[0]!, customId: 'row-1' };
    const outcome = buildOutcome(batch, request, ok('a', { statusCode: 200, response: '{"id":"x"}' }), 1_000);
    expect(outcome).toMatchObject({ customId: 'row-1', statusCode: 200, response: '{"id":"x"}' });
    expect(checkOutcome(outcome).ok).toBe(true);
  });
});

describe('planBatchOutcomes', () => {
  it('plans one outcome per request in batch order with its segment', () => {
    const plan = planBatchOutcomes(batch, [ok('b'), ok('a'), ok('not-in-batch')], { nowMs: 5 });
    expect(plan.ok).toBe(true);
    if (!plan.ok) return;
    expect(plan.outcomes.map((o) => [o.outcome.requestId, o.segment])).toEqual([['a', 'arc'], ['b', null]]);
  });

  it('fails when a request has no result, so the batch is not committed without it', () => {
    const plan = planBatchOutcomes(batch, [ok('a')], { nowMs: 5 });
    expect(plan).toMatchObject({ ok: false, problem: 'missing_result' });
  });

  it('fails on a result that breaks the contract', () => {
    expect(planBatchOutcomes(batch, [ok('a', { quality: 1.2 }), ok('b')], { nowMs: 5 })).toMatchObject({ ok: false, problem: 'invalid_outcome' });
    expect(planBatchOutcomes(batch, [ok('a', { completionTokens: -1 }), ok('b')], { nowMs: 5 })).toMatchObject({ ok: false, problem: 'invalid_outcome' });
  });

  it('reads the segment from a configurable metadata key', () => {
    const plan = planBatchOutcomes(
      sampleRoutedBatch({ requests: [sampleRoutedRequest({ requestId: 'a', metadata: { cluster: 'c7', task: 'arc' } })] }),
      [ok('a')],
      { nowMs: 5, segmentMetadataKey: 'cluster' },
    );
    expect(plan.ok && plan.outcomes[0]!.segment).toBe('c7');
  });
});

describe('segmentOf', () => {
  it('drops values the recorder would refuse', () => {
    expect(segmentOf({ metadata: { task: '*' } })).toBeNull();
    expect(segmentOf({ metadata: { task: '' } })).toBeNull();
    expect(segmentOf({ metadata: { task: 'x'.repeat(129) } })).toBeNull();
    expect(segmentOf({ metadata: { task: 'mbpp' } })).toBe('mbpp');
  });
});
