// Requests handed back by an executor after a model failed them permanently: routed among the
// models left, or ended with one all_models_failed outcome.
import { describe, expect, it } from 'vitest';
import { sampleRequest } from '@switchyard/contracts';
import type { FailedAttemptV3, RequestV3 } from '@switchyard/contracts';
import { MINUTE, T0, setup } from './engine-fixture.ts';

const failedOn = (model: string, statusCode: number | null = 404): FailedAttemptV3 => ({
  model,
  reason: statusCode === null ? 'retries_exhausted' : 'model_failed_permanently',
  statusCode,
  detail: statusCode === null ? '3 attempts, last timed out' : `HTTP ${statusCode}: model not found`,
  batchId: `batch-${model}`,
  failedAt: T0 - 10,
});

function handedBack(id: string, failed: readonly FailedAttemptV3[], over: Partial<RequestV3> = {}): RequestV3 {
  return sampleRequest({ requestId: id, embedding: null, allowedModels: null, deadline: null, prompt: 'hello', customId: `c-${id}`, excludedModels: failed.map((a) => a.model), failedAttempts: failed, ...over });
}

async function run(requests: readonly RequestV3[], opts: Parameters<typeof setup>[0] = {}) {
  const { step, record, deferredSerde, decode } = await setup(opts);
  const records = requests.map((r) => record(deferredSerde.encode({ request: r, deferUntil: T0 - 1, reason: 'model_failed', detail: null, attempts: 1, deferredAt: T0 - MINUTE }), 'def', r.requestId));
  const result = await step.run(records);
  return { result, ...(await decode(result)) };
}

describe('rerouting a request a model failed permanently', () => {
  it('routes it to the next-ranked model, skipping the one that failed, and carries the attempts on', async () => {
    // Model a is the policy's first choice for every request (engine-fixture).
    const { routed, outcomes, dead, result } = await run([handedBack('r1', [failedOn('a')])]);
    expect(outcomes).toEqual([]);
    expect(dead).toEqual([]);
    expect(routed.map((b) => b.model)).toEqual(['b']);
    const item = routed[0]!.requests[0]!;
    expect(item).toMatchObject({ requestId: 'r1', customId: 'c-r1', allowedModels: ['b'], excludedModels: ['a'], submittedAt: sampleRequest().submittedAt });
    expect(item.failedAttempts).toEqual([failedOn('a')]);
    expect(result.decisions.map((d) => [d.requestId, d.outcome, d.model])).toEqual([['r1', 'routed', 'b']]);
  });

  it('a request as submitted still goes to the first choice and carries empty reroute fields', async () => {
    const { step, request, decode } = await setup();
    const { routed } = await decode(await step.run([request('fresh')]));
    expect(routed.map((b) => [b.model, b.requests[0]!.excludedModels, b.requests[0]!.failedAttempts, b.requests[0]!.allowedModels])).toEqual([['a', [], [], null]]);
  });

  it('ends it with one all_models_failed outcome listing the attempts when every model failed', async () => {
    const { routed, outcomes, dead, result } = await run([handedBack('r2', [failedOn('a'), failedOn('b', null)])]);
    expect(routed).toEqual([]);
    expect(dead).toEqual([]);
    expect(outcomes).toHaveLength(1);
    const o = outcomes[0]!;
    expect(o).toMatchObject({ requestId: 'r2', customId: 'c-r2', model: 'b', batchId: 'batch-b', success: false, costUsd: 0, promptTokens: 0, completionTokens: 0, statusCode: null, response: null });
    expect(o.error).toMatch(/^all_models_failed: /);
    expect(o.error).toContain('a (model_failed_permanently HTTP 404');
    expect(o.error).toContain('b (retries_exhausted');
    expect(result.decisions.map((d) => [d.requestId, d.outcome, d.reason])).toEqual([['r2', 'rejected', 'all_models_failed']]);
    expect(result.stats.allModelsFailed).toBe(1);
  });

  it('does not move a pinned request to another model: its one allowed model failed, so it ends', async () => {
    const { routed, outcomes } = await run([handedBack('pin', [failedOn('a', 400)], { allowedModels: ['a'] })]);
    expect(routed).toEqual([]);
    expect(outcomes.map((o) => [o.requestId, o.model, o.statusCode])).toEqual([['pin', 'a', 400]]);
    expect(outcomes[0]!.error).toContain('no allowed model is left');
  });

  it('stays inside a wider allow-list: a, b allowed and a failed goes to b', async () => {
    const { routed } = await run([handedBack('two', [failedOn('a')], { allowedModels: ['a', 'b'] })]);
    expect(routed.map((b) => [b.model, b.requests[0]!.allowedModels])).toEqual([['b', ['b']]]);
  });

  it('ends it once router.maxModelAttempts models failed it, even with a model left', async () => {
    const { routed, outcomes } = await run([handedBack('max', [failedOn('a')])], { maxModelAttempts: 1 });
    expect(routed).toEqual([]);
    expect(outcomes.map((o) => o.requestId)).toEqual(['max']);
    expect(outcomes[0]!.error).toContain('router.maxModelAttempts 1');
  });

  it('ends it, instead of dead-lettering, when the models left cannot hold it', async () => {
    // 250 tokens: above a's maxBatchTokens (200); b failed it.
    const { routed, outcomes, dead } = await run([handedBack('big', [failedOn('b')])], { tokens: 250 });
    expect(routed).toEqual([]);
    expect(dead).toEqual([]);
    expect(outcomes.map((o) => o.requestId)).toEqual(['big']);
    expect(outcomes[0]!.error).toContain('no model left can take it');
  });

  it('ends it when its deadline passed while it was with the failed model', async () => {
    const { routed, outcomes, dead } = await run([handedBack('late', [failedOn('a')], { deadline: T0 - 5 })]);
    expect([routed, dead]).toEqual([[], []]);
    expect(outcomes.map((o) => o.requestId)).toEqual(['late']);
    expect(outcomes[0]!.error).toContain('deadline passed');
  });

  it('ends it, instead of dead-lettering, when it was deferred too often on the way', async () => {
    const { step, record, deferredSerde, decode } = await setup({ tokens: 300 });
    // The first request spends model a's and b's minute windows (engine-fixture: 300 and 500 tokens).
    const spend = (id: string) => deferredSerde.encode({ request: sampleRequest({ requestId: id, embedding: null, allowedModels: null, deadline: null }), deferUntil: T0 - 1, reason: 'rate_limited', detail: null, attempts: 1, deferredAt: T0 - MINUTE });
    const tired = deferredSerde.encode({ request: handedBack('tired', [failedOn('a')]), deferUntil: T0 - 1, reason: 'rate_limited', detail: null, attempts: 2, deferredAt: T0 - MINUTE });
    const { dead, outcomes } = await decode(await step.run([record(spend('s1'), 'def'), record(spend('s2'), 'def'), record(tired, 'def', 'tired')]));
    expect(dead).toEqual([]);
    expect(outcomes.map((o) => o.requestId)).toEqual(['tired']);
    expect(outcomes[0]!.error).toContain('router.maxDeferrals');
  });

    it('gives the policy its reservation back for a request that ends without an answer', async () => {
    const released: string[] = [];
    const feedback = {
      adjust: () => undefined,
      featuresOf: () => null,
      released: (id: string) => void released.push(id),
    };
    await run([handedBack('ok', [failedOn('a')]), handedBack('end', [failedOn('a'), failedOn('b')])], { feedback: feedback as never });
    expect(released).toEqual(['end']);
  });
});
