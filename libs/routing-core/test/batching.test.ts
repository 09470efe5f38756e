import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatchPacker } from '../src/batching.ts';
import type { BatchLimits, PackedBatch } from '../src/batching.ts';

const limits = (over: Partial<BatchLimits> = {}): BatchLimits => ({
  maxBatchTokens: 100,
  maxBatchRequests: 3,
  flushIntervalMs: 1_000,
  ...over,
});

const item = (requestId: string, tokens: number) => ({ requestId, tokens, value: requestId });

describe('BatchPacker', () => {
  it('emits the open batch when the next request would overflow its token bound', () => {
    const packer = new BatchPacker<string>({ a: limits() });
    expect(packer.add('a', item('r1', 60), 0)).toEqual({ ok: true, emitted: [] });
    const res = packer.add('a', item('r2', 50), 1);
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    expect(res.emitted).toHaveLength(1);
    expect(res.emitted[0]?.items.map((i) => i.requestId)).toEqual(['r1']);
    expect(res.emitted[0]?.reason).toBe('overflow');
    expect(packer.pendingRequests()).toBe(1);
  });

  it('emits at once when the request bound or the exact token bound is reached', () => {
    const packer = new BatchPacker<string>({ a: limits({ maxBatchRequests: 2 }), b: limits() });
    packer.add('a', item('r1', 1), 0);
    const full = packer.add('a', item('r2', 1), 0);
    expect(full.ok && full.emitted.map((b) => [b.reason, b.items.length])).toEqual([['full_requests', 2]]);
    const exact = packer.add('b', item('r3', 100), 0);
    expect(exact.ok && exact.emitted.map((b) => [b.reason, b.totalTokens])).toEqual([['full_tokens', 100]]);
  });

  it('refuses a request larger than the token bound instead of emitting an oversized batch', () => {
    const packer = new BatchPacker<string>({ a: limits() });
    const res = packer.add('a', item('big', 101), 0);
    expect(res).toMatchObject({ ok: false, reason: 'request_exceeds_batch_tokens' });
    expect(packer.pendingRequests()).toBe(0);
  });

  it('refuses unknown models and invalid token counts', () => {
    const packer = new BatchPacker<string>({ a: limits() });
    expect(packer.add('zz', item('r', 1), 0)).toMatchObject({ ok: false, reason: 'unknown_model' });
    expect(packer.add('a', item('r', Number.NaN), 0)).toMatchObject({ ok: false, reason: 'invalid_tokens' });
    expect(packer.add('a', item('r', -1), 0)).toMatchObject({ ok: false, reason: 'invalid_tokens' });
  });

  it('flushes by interval only the batches that waited long enough', () => {
    const packer = new BatchPacker<string>({ a: limits({ flushIntervalMs: 100 }), b: limits({ flushIntervalMs: 500 }) });
    packer.add('a', item('r1', 1), 1_000);
    packer.add('b', item('r2', 1), 1_000);
    expect(packer.nextDueAtMs()).toBe(1_100);
    expect(packer.flushDue(1_099)).toEqual([]);
    const due = packer.flushDue(1_100);
    expect(due.map((b) => [b.model, b.reason])).toEqual([['a', 'interval']]);
    expect(packer.nextDueAtMs()).toBe(1_500);
    expect(packer.drain().map((b) => [b.model, b.reason])).toEqual([['b', 'drain']]);
    expect(packer.nextDueAtMs()).toBeNull();
  });

  it('rejects invalid limits at construction', () => {
    expect(() => new BatchPacker({ a: limits({ maxBatchTokens: 0 }) })).toThrow(RangeError);
    expect(() => new BatchPacker({ a: limits({ maxBatchRequests: 1.5 }) })).toThrow(RangeError);
    expect(() => new BatchPacker({ a: limits({ flushIntervalMs: -1 }) })).toThrow(RangeError);
  });

  it('property: batches respect both bounds and every accepted request is emitted exactly once, in order', () => {
    const models = ['m0', 'm1', 'm2'];
    const op = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), model: fc.constantFrom(...models), tokens: fc.integer({ min: 0, max: 400 }), dtMs: fc.integer({ min: 0, max: 50 }) }),
      fc.record({ kind: fc.constant('tick' as const), dtMs: fc.integer({ min: 0, max: 300 }) }),
    );
    const limitArb = fc.record({
      maxBatchTokens: fc.integer({ min: 1, max: 300 }),
      maxBatchRequests: fc.integer({ min: 1, max: 8 }),
      flushIntervalMs: fc.integer({ min: 0, max: 200 }),
    });
    fc.assert(
      fc.property(fc.tuple(limitArb, limitArb, limitArb), fc.array(op, { maxLength: 300 }), (ls, ops) => {
        const byModel = Object.fromEntries(models.map((m, i) => [m, ls[i] as BatchLimits]));
        const packer = new BatchPacker<number>(byModel);
        const emitted: PackedBatch<number>[] = [];
        const accepted = new Map<string, number[]>(models.map((m) => [m, []]));
        let now = 0;
        let next = 0;
        for (const o of ops) {
          now += o.dtMs;
          if (o.kind === 'tick') {
            emitted.push(...packer.flushDue(now));
            continue;
          }
          const id = next++;
          const res = packer.add(o.model, { requestId: String(id), tokens: o.tokens, value: id }, now);
          if (res.ok) {
            accepted.get(o.model)?.push(id);
            emitted.push(...res.emitted);
          } else {
            expect(res.reason).toBe('request_exceeds_batch_tokens');
            expect(o.tokens).toBeGreaterThan(byModel[o.model]?.maxBatchTokens ?? 0);
          }
        }
        emitted.push(...packer.drain());
        expect(packer.pendingRequests()).toBe(0);
        for (const b of emitted) {
          const l = byModel[b.model] as BatchLimits;
          expect(b.items.length).toBeGreaterThan(0);
          expect(b.items.length).toBeLessThanOrEqual(l.maxBatchRequests);
          expect(b.totalTokens).toBeLessThanOrEqual(l.maxBatchTokens);
          expect(b.totalTokens).toBe(b.items.reduce((s, i) => s + i.tokens, 0));
        }
        for (const m of models) {
          const out = emitted.filter((b) => b.model === m).flatMap((b) => b.items.map((i) => i.value));
          expect(out).toEqual(accepted.get(m));
          const seqs = emitted.filter((b) => b.model === m).map((b) => b.sequence);
          expect(seqs).toEqual(seqs.map((_, i) => i));
        }
      }),
      { numRuns: 300 },
    );
  });
});
