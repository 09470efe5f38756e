// The slice handler with a dollar gate: the gate's verdicts become routes to the reserved model
// only, deferrals and dead letters carrying the budget_usd_* reason, and nothing for a request
// already settled; reservations of requests that were not routed to their reserved model, and
// of a slice that fails before its commit, are released.
import { describe, expect, it } from 'vitest';
import type { UsdGateRequest, UsdGateVerdict } from '@switchyard/store';
import type { UsdGatePort } from '../src/usd-session.ts';
import { setup } from './engine-fixture.ts';

class ScriptedGate implements UsdGatePort {
  readonly asks: UsdGateRequest[] = [];
  readonly released: [string, string[]][] = [];
  readonly holders = new Set<string>();
  constructor(private readonly verdictOf: (r: UsdGateRequest) => UsdGateVerdict) {}
  reserveSlice(holder: string, requests: readonly UsdGateRequest[]): Promise<UsdGateVerdict[]> {
    this.holders.add(holder);
    this.asks.push(...requests);
    return Promise.resolve(requests.map((r) => this.verdictOf(r)));
  }
  releaseSlice(holder: string, requestIds: readonly string[]): Promise<void> {
    this.released.push([holder, [...requestIds].sort()]);
    return Promise.resolve();
  }
}

const routeTo = (model: string): UsdGateVerdict => ({ kind: 'route', model, rank: model === 'a' ? 0 : 1, reservedUsd: 0.01 });

describe('slice handler with a dollar gate', () => {
  it('routes to the reserved model only, defers and rejects with the reason, skips a settled replay', async () => {
    const script: Record<string, UsdGateVerdict> = {
      u1: routeTo('b'),
      u2: { kind: 'defer', reason: 'budget_usd_exhausted', scope: 'job:j1' },
      u3: { kind: 'reject', reason: 'budget_usd_too_small', scope: 'job:j1' },
      u4: { kind: 'unbudgeted' },
      u5: { kind: 'already_settled' },
    };
    const gate = new ScriptedGate((r) => script[r.requestId]!);
    const { step, request, decode } = await setup({ usdGate: gate });
    const result = await step.run(['u1', 'u2', 'u3', 'u4', 'u5'].map((id) => request(id)));
    const { routed, deferred, dead } = await decode(result);
    // The gate is asked with the engine's ranking (a scores above b) and the request's worst-case inputs.
    expect(gate.asks.map((a) => [a.requestId, a.ranked, a.maxOutputTokens > 0])).toEqual(['u1', 'u2', 'u3', 'u4', 'u5'].map((id) => [id, ['a', 'b'], true]));
    expect(routed.flatMap((b) => b.requests.map((q) => `${q.requestId}:${b.model}`)).sort()).toEqual(['u1:b', 'u4:a']);
    expect(deferred.map((d) => [d.request.requestId, d.reason, d.detail, d.attempts])).toEqual([['u2', 'budget_usd_exhausted', 'budget_usd_exhausted in job:j1', 1]]);
    expect(dead.map((d) => [d.reason, d.detail])).toEqual([['budget_usd_too_small', 'budget_usd_too_small in job:j1']]);
    const rows = new Map(result.decisions.map((d) => [d.requestId, [d.outcome, d.model, d.reason]]));
    expect(rows.get('u1')).toEqual(['routed', 'b', null]);
    expect(rows.get('u2')).toEqual(['deferred', null, 'budget_usd_exhausted']);
    expect(rows.get('u3')).toEqual(['rejected', null, 'budget_usd_too_small']);
    // Already ran and settled: no output and no new decision row over the stored one.
    expect(rows.has('u5')).toBe(false);
    expect(result.processed).toBe(5);
    expect(gate.released).toEqual([]);
    expect([...gate.holders][0]).toMatch(/^unit:/);
  });

  it('releases the reservation of a request the token budgets then deferred', async () => {
    // Model a takes 3 requests of 100 tokens per minute; all four are reserved on a.
    const gate = new ScriptedGate(() => routeTo('a'));
    const { step, request, decode } = await setup({ usdGate: gate });
    const result = await step.run(['v1', 'v2', 'v3', 'v4'].map((id) => request(id)));
    const { routed, deferred } = await decode(result);
    expect(routed.flatMap((b) => b.requests.map((q) => [q.requestId, b.model]))).toEqual([
      ['v1', 'a'],
      ['v2', 'a'],
      ['v3', 'a'],
    ]);
    // Not sent to b, where nothing is reserved for it: it waits for a's next window instead.
    expect(deferred.map((d) => [d.request.requestId, d.reason])).toEqual([['v4', 'rate_limited']]);
    expect(gate.released.map(([, ids]) => ids)).toEqual([['v4']]);
  });

  it('releases every reservation of a slice whose decisions cannot be written', async () => {
    const gate = new ScriptedGate((r) => (r.requestId === 'w3' ? { kind: 'unbudgeted' } : routeTo('a')));
    const { step, request } = await setup({ usdGate: gate, writeDecisions: () => Promise.reject(new Error('postgres down')) });
    await expect(step.run(['w1', 'w2', 'w3'].map((id) => request(id)))).rejects.toThrow('postgres down');
    expect(gate.released.map(([, ids]) => ids)).toEqual([['w1', 'w2']]);
  });

  it("asks the gate with the job's paced ranking: a budget far ahead of its pace puts the cheaper model first", async () => {
    const paceOf: Record<string, { budgetUsd: number; committedUsd: number }> = { tight: { budgetUsd: 1, committedUsd: 0.999 }, loose: { budgetUsd: 1_000, committedUsd: 0 } };
    const gate = new (class extends ScriptedGate {
      readonly paced: string[][] = [];
      jobPaces(jobIds: readonly string[]) {
        this.paced.push([...jobIds]);
        return Promise.resolve(new Map(jobIds.flatMap((j) => (paceOf[j] === undefined ? [] : [[j, { ...paceOf[j], deadlineMs: null, expectedRequests: 1_000, decidedRequests: 0 }] as const]))));
      }
    })(() => ({ kind: 'unbudgeted' }));
    const { step, request } = await setup({ usdGate: gate });
    await step.run([request('p1', { jobId: 'tight' }), request('p2', { jobId: 'loose' }), request('p3', { jobId: 'none' })]);
    expect(gate.paced).toEqual([['tight', 'loose', 'none']]);
    // b costs half of a: 0.001 USD of the 0.001 left, spread over 1,000 requests, prices a out.
    expect(gate.asks.map((a) => [a.requestId, a.ranked])).toEqual([['p1', ['b', 'a']], ['p2', ['a', 'b']], ['p3', ['a', 'b']]]);
  });

  it('makes no gate call without a gate and routes as before', async () => {
    const { step, request, decode } = await setup();
    const { routed } = await decode(await step.run([request('x1')]));
    expect(routed.flatMap((b) => b.requests.map((q) => [q.requestId, b.model]))).toEqual([['x1', 'a']]);
  });
});
