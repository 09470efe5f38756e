import { describe, expect, it } from 'vitest';
import { sampleRequest } from '@switchyard/contracts';
import type { BudgetStorePort, FeedbackHooks, LeaseItem } from '@switchyard/routing-engine';
import { MINUTE, T0, setup } from './engine-fixture.ts';

describe('slice handler over the routing engine', () => {
  it('routes to the first choice, falls back when its window is spent, then defers to the next minute', async () => {
    const { step, request, decode } = await setup();
    const ids = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9'];
    const result = await step.run(ids.map((id) => request(id)));
    const { routed, deferred, dead } = await decode(result);
    const placed = routed.flatMap((b) => b.requests.map((q) => [q.requestId, b.model, q.fallbackRank]));
    // a: 300 tokens/minute = 3 requests; b: 500 = 5 requests; the ninth waits for the next window.
    expect(placed).toEqual([
      ['r1', 'a', 0],
      ['r2', 'a', 0],
      ['r3', 'a', 0],
      ['r4', 'b', 1],
      ['r5', 'b', 1],
      ['r6', 'b', 1],
      ['r7', 'b', 1],
      ['r8', 'b', 1],
    ]);
    // a's batches hold at most 2 requests and 200 tokens
    expect(routed.filter((b) => b.model === 'a').map((b) => b.requests.length)).toEqual([2, 1]);
    expect(deferred.map((d) => [d.request.requestId, d.deferUntil, d.attempts, d.reason])).toEqual([['r9', 11 * MINUTE, 1, 'rate_limited']]);
    expect(dead).toEqual([]);
    expect(result.processed).toBe(9);
    const outcomes = result.decisions.map((d) => [d.requestId, d.outcome]).sort((x, y) => String(x[0]).localeCompare(String(y[0])));
    expect(outcomes).toEqual(ids.map((id) => [id, id === 'r9' ? 'deferred' : 'routed']));
    const routedRows = result.decisions.filter((d) => d.outcome === 'routed');
    const batchIds = new Set(routed.map((b) => b.batchId));
    expect(routedRows.every((d) => d.batchId !== null && batchIds.has(d.batchId))).toBe(true);
  });

  it('carries customId and the provider body into routed items and deferred requests', async () => {
    const { step, request, decode } = await setup();
    const body = '{"model":"gpt-4o","messages":[{"role":"user","content":"hello"}]}';
    const ids = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9'];
    const { routed, deferred } = await decode(await step.run(ids.map((id) => request(id, { customId: `c-${id}`, body }))));
    const items = routed.flatMap((b) => b.requests);
    expect(items.map((q) => [q.requestId, q.customId, q.body])).toEqual(ids.slice(0, 8).map((id) => [id, `c-${id}`, body]));
    expect(deferred.map((d) => [d.request.customId, d.request.body])).toEqual([['c-r9', body]]);
    const fresh = await setup();
    const { routed: native } = await fresh.decode(await fresh.step.run([fresh.request('n1')]));
    expect(native.flatMap((b) => b.requests).map((q) => [q.customId, q.body])).toEqual([[null, null]]);
  });

  it('fills batches by size even when deciding a slice takes longer than flushIntervalMs', async () => {
    let now = T0;
    // Every clock read advances 10 ms: deciding 200 requests spans seconds, far beyond the 1 s
    // flush interval, while each batch is open for only a few clock reads.
    const { step, request, decode } = await setup({ tokens: 1, clock: () => (now += 10) });
    const { routed } = await decode(await step.run(Array.from({ length: 200 }, (_, i) => request(`r${i}`))));
    expect(routed.every((b) => b.model === 'a')).toBe(true);
    expect(routed.map((b) => b.requests.length)).toEqual(Array.from({ length: 100 }, () => 2));
  });

  it('dead-letters undecodable and invalid records with their bytes and offsets, and keeps going', async () => {
    const { step, record, request, decode } = await setup();
    const garbage = Buffer.from('garbage');
    const records = [record(garbage), request('bad-dim', { embedding: [1, 2, 3] }), request('ok'), request('late', { deadline: T0 - 1 })];
    const result = await step.run(records);
    const { routed, dead } = await decode(result);
    expect(dead.map((d) => [d.reason, d.sourceOffset])).toEqual([
      ['undecodable', 0],
      ['wrong_dimension', 1],
      ['deadline_passed', 3],
    ]);
    expect(Buffer.compare(dead[0]!.originalValue!, garbage)).toBe(0);
    expect(routed.flatMap((b) => b.requests.map((q) => q.requestId))).toEqual(['ok']);
    expect(result.decisions.map((d) => [d.requestId, d.outcome, d.reason])).toEqual([
      ['late', 'rejected', 'deadline_passed'],
      ['ok', 'routed', null],
    ]);
  });

  it('enforces tenant windows and sends higher priority first', async () => {
    const { step, request, decode } = await setup();
    const { routed, deferred } = await decode(
      await step.run([request('low', { tenant: 'capped', priority: 0 }), request('high', { tenant: 'capped', priority: 9 })]),
    );
    expect(routed.flatMap((b) => b.requests.map((q) => q.requestId))).toEqual(['high']);
    expect(deferred.map((d) => d.request.requestId)).toEqual(['low']);
  });

  it('rejects a request whose deadline comes before any budget returns', async () => {
    const { step, request, decode } = await setup({ tokens: 250 });
    // 250 tokens only fit b (a's batches hold 200); b's window holds two of them.
    const { routed, dead } = await decode(await step.run([request('r1'), request('r2'), request('r3', { deadline: T0 + 5_000 })]));
    expect(routed.flatMap((b) => b.requests.map((q) => q.requestId))).toEqual(['r1', 'r2']);
    expect(dead.map((d) => [d.originalKey?.toString(), d.reason])).toEqual([['r3', 'deadline_passed']]);
  });

  it('never sends a request to a model whose batches cannot hold it', async () => {
    const { step, request, decode } = await setup({ tokens: 250 });
    const { routed } = await decode(await step.run([request('big')]));
    expect(routed.map((b) => [b.model, b.requests[0]?.fallbackRank])).toEqual([['b', 1]]);
  });

  it('stops at a deferred record that is not due and reports when it is', async () => {
    const { step, record, deferredSerde } = await setup();
    const due = deferredSerde.encode({ request: sampleRequest({ requestId: 'd1', embedding: null, allowedModels: null, deadline: null }), deferUntil: T0 - 1, reason: 'rate_limited', detail: null, attempts: 1, deferredAt: T0 - MINUTE });
    const later = deferredSerde.encode({ request: sampleRequest({ requestId: 'd2', embedding: null, allowedModels: null, deadline: null }), deferUntil: T0 + 5_000, reason: 'rate_limited', detail: null, attempts: 1, deferredAt: T0 });
    const result = await step.run([record(due, 'def'), record(later, 'def')]);
    expect(result.processed).toBe(1);
    expect(result.pauseUntilMs).toBe(T0 + 5_000);
    expect(result.decisions.map((d) => [d.requestId, d.outcome, d.deferrals])).toEqual([['d1', 'routed', 1]]);
  });

  it('dead-letters a request deferred too often', async () => {
    const { step, record, deferredSerde, decode } = await setup({ tokens: 300 });
    const spend = sampleRequest({ requestId: 'spend', embedding: null, allowedModels: null, deadline: null });
    const again = deferredSerde.encode({ request: sampleRequest({ requestId: 'again', embedding: null, allowedModels: null, deadline: null }), deferUntil: T0 - 1, reason: 'rate_limited', detail: null, attempts: 2, deferredAt: T0 - MINUTE });
    const first = deferredSerde.encode({ request: spend, deferUntil: T0 - 1, reason: 'rate_limited', detail: null, attempts: 1, deferredAt: T0 - MINUTE });
    const { dead } = await decode(await step.run([record(first, 'def'), record(again, 'def', 'again')]));
    expect(dead.map((d) => [d.originalKey?.toString(), d.reason])).toEqual([['again', 'max_deferrals_exceeded']]);
  });

  it('leases budget from the shared store before deciding and hands back what it did not use', async () => {
    const acquired: LeaseItem[] = [];
    const released: LeaseItem[] = [];
    const store: BudgetStorePort = {
      acquire: (items) => {
        acquired.push(...items);
        // Another instance already holds all of a's minute window.
        return Promise.resolve(items.map((i) => (i.ruleId === 'model:a:minute' ? 0 : i.tokens)));
      },
      release: (items) => {
        released.push(...items);
        return Promise.resolve();
      },
    };
    const { step, request, decode } = await setup({ budgetStore: store });
    const { routed } = await decode(await step.run([request('r1')]));
    expect(routed.map((b) => b.model)).toEqual(['b']);
    expect(acquired.map((a) => [a.ruleId, a.tokens])).toEqual([
      ['model:a:minute', 100],
      ['model:b:minute', 100],
    ]);
    // Every lease is settled (so an owned lease leaves the record), here with nothing to give back.
    expect(released.map((r) => [r.ruleId, r.tokens])).toEqual([
      ['model:a:minute', 0],
      ['model:b:minute', 0],
    ]);
  });

  it('lets feedback adjust the estimates before the policy, and stores the raw estimates with the routed decision', async () => {
    const raw: number[][] = [];
    const feedback: FeedbackHooks = {
      // Feedback learned that a is bad: its adjusted quality drops below b's, so b is chosen.
      adjust: (r) => {
        for (let i = 0; i < r.n; i++) {
          raw.push(Array.from(r.quality.subarray(i * 2, i * 2 + 2)));
          r.quality[i * 2] = 0.1;
          r.scores[i * 2] = 0.1;
        }
      },
      featuresOf: (embedding, est) => ({ embedding: Uint8Array.of(embedding.length), rawQuality: est.quality, rawCostUsd: est.costUsd, rawOutputTokens: est.outputTokens }),
      reserved: (requestId, r) => void reservations.push([requestId, r.model, r.reservedCost]),
    };
    const reservations: [string, number, number][] = [];
    const { step, request, decode } = await setup({ feedback });
    const result = await step.run([request('f1'), request('f2')]);
    const { routed } = await decode(result);
    expect(routed.flatMap((b) => b.requests.map((r) => [r.requestId, b.model]))).toEqual([
      ['f1', 'b'],
      ['f2', 'b'],
    ]);
    expect(raw).toEqual([
      [0.9, 0.5],
      [0.9, 0.5],
    ]);
    // The chosen model's estimates before adjustment, and the embedding (4 dims here).
    expect(result.decisions.map((d) => [d.requestId, d.features?.rawQuality, d.features?.rawCostUsd, d.features?.embedding[0]])).toEqual([
      ['f1', 0.5, 0.001, 4],
      ['f2', 0.5, 0.001, 4],
    ]);
    // The policy's own choice (b) was routed: its reservation is handed to feedback to settle.
    expect(reservations.map(([id, m]) => [id, m])).toEqual([
      ['f1', 1],
      ['f2', 1],
    ]);
  });
});
