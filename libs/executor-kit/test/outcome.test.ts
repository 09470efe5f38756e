import { describe, expect, it } from 'vitest';
import { sampleRoutedBatch, sampleRoutedRequest } from '@switchyard/contracts';
import { contracts } from '@switchyard/contracts';
import { buildOutcome, checkOutcome, handBackOf, planBatchOutcomes, segmentOf } from '../src/index.ts';
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

describe('handing a request back to the router', () => {
  const failed = { reason: 'model_failed_permanently', statusCode: 404, detail: 'HTTP 404: model not found' };
  const gone = (requestId: string): ExecutionResult => ok(requestId, { error: 'model_failed_permanently: HTTP 404: model not found', statusCode: 404, handBack: failed });

  it('hands back, instead of an outcome, each request the model failed permanently', () => {
    const plan = planBatchOutcomes(batch, [gone('a'), ok('b')], { nowMs: 77, handBack: true });
    expect(plan.ok).toBe(true);
    if (!plan.ok) return;
    expect(plan.outcomes.map((o) => o.outcome.requestId)).toEqual(['b']);
    expect(plan.handBacks).toHaveLength(1);
    const d = plan.handBacks[0]!;
    expect(d).toMatchObject({ deferUntil: 77, deferredAt: 77, reason: 'model_failed', attempts: 1 });
    expect(d.request).toMatchObject({ requestId: 'a', jobId: 'j', tenant: 't', excludedModels: ['m-1'], metadata: { task: 'arc' } });
    expect(d.request.failedAttempts).toEqual([{ model: 'm-1', reason: 'model_failed_permanently', statusCode: 404, detail: 'HTTP 404: model not found', batchId: 'b-1', failedAt: 77 }]);
    // What the router reads back is a valid Deferred v3.
    expect(contracts.deferred.type.isValid(d)).toBe(true);
  });

  it('keeps the earlier attempts, the allow-list and the submitter\'s fields', () => {
    const earlier = { model: 'm-0', reason: 'retries_exhausted', statusCode: 503, detail: 'x', batchId: 'b-0', failedAt: 1 };
    const item = sampleRoutedRequest({ requestId: 'a', customId: 'row-3', body: '{"messages":[]}', allowedModels: ['m-1', 'm-2'], excludedModels: ['m-0'], failedAttempts: [earlier], deadline: 999, priority: 4, submittedAt: 42 });
    const d = handBackOf({ batchId: 'b-1', model: 'm-1' }, item, failed, 50)!;
    expect(d.request).toMatchObject({ customId: 'row-3', body: '{"messages":[]}', allowedModels: ['m-1', 'm-2'], excludedModels: ['m-0', 'm-1'], deadline: 999, priority: 4, submittedAt: 42, promptTokens: item.promptTokens, maxOutputTokens: item.maxOutputTokens });
    expect(d.request.failedAttempts?.map((a) => a.model)).toEqual(['m-0', 'm-1']);
  });

  it('ends it as an error outcome where it cannot go back: hand-backs off, or a batch routed before v3', () => {
    const off = planBatchOutcomes(batch, [gone('a'), ok('b')], { nowMs: 5 });
    expect(off.ok && [off.outcomes.map((o) => [o.outcome.requestId, o.outcome.error]), off.handBacks.length]).toEqual([[['a', 'model_failed_permanently: HTTP 404: model not found'], ['b', null]], 0]);
    const old = sampleRoutedBatch({ requests: [sampleRoutedRequest({ requestId: 'a', submittedAt: null })] });
    const plan = planBatchOutcomes(old, [gone('a')], { nowMs: 5, handBack: true });
    expect(plan.ok && [plan.outcomes.length, plan.handBacks.length]).toEqual([1, 0]);
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
