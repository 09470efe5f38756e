import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsdLedger, nanoUsdCeil, nanoUsdFloor, refusalAction } from '../src/usd-ledger.ts';
import type { UsdEntry, UsdReserveResult, UsdScope } from '../src/usd-ledger.ts';

const refused = (r: UsdReserveResult) => {
  if (r.kind !== 'refused') throw new Error(`expected a refusal, got ${r.kind}`);
  return r;
};

describe('UsdLedger', () => {
  it('reserves the worst case, settles down to the true cost, and refuses what cannot fit', () => {
    const l = new UsdLedger();
    l.setLimit('job:a', 100);
    expect(l.reserve({ requestId: 'r1', holder: 'h', scopes: ['job:a'], amountNano: 60 })).toEqual({ kind: 'reserved', amountNano: 60 });
    const r = refused(l.reserve({ requestId: 'r2', holder: 'h', scopes: ['job:a'], amountNano: 50 }));
    expect(r).toMatchObject({ reason: 'budget_usd_exhausted', availableNano: 40, outstandingNano: 60 });
    expect(refusalAction(r, { windowed: false })).toBe('defer');
    expect(l.settle('r1', 20)).toEqual({ kind: 'settled', overrunNano: 0 });
    expect(l.scope('job:a')).toMatchObject({ committedNano: 20, spentNano: 20 });
    expect(l.reserve({ requestId: 'r2', holder: 'h', scopes: ['job:a'], amountNano: 50 }).kind).toBe('reserved');
  });

  it('rejects a worst case above the limit, and a job budget with nothing left to come back', () => {
    const l = new UsdLedger();
    l.setLimit('job:a', 100);
    const big = refused(l.reserve({ requestId: 'r1', holder: 'h', scopes: ['job:a'], amountNano: 101 }));
    expect(big.reason).toBe('budget_usd_too_small');
    expect(refusalAction(big, { windowed: true })).toBe('reject');
    l.reserve({ requestId: 'r2', holder: 'h', scopes: ['job:a'], amountNano: 90 });
    l.settle('r2', 90);
    const dry = refused(l.reserve({ requestId: 'r3', holder: 'h', scopes: ['job:a'], amountNano: 20 }));
    expect(refusalAction(dry, { windowed: false })).toBe('reject');
    expect(refusalAction(dry, { windowed: true })).toBe('defer');
  });

  it('reserves in all scopes or none', () => {
    const l = new UsdLedger();
    l.setLimit('job:a', 100);
    l.setLimit('tenant:t:2026-12-04', 30);
    expect(l.reserve({ requestId: 'r1', holder: 'h', scopes: ['job:a', 'tenant:t:2026-12-04'], amountNano: 40 })).toMatchObject({ kind: 'refused', scope: 'tenant:t:2026-12-04' });
    expect(l.scope('job:a')!.committedNano).toBe(0);
    expect(l.changes().upserts).toEqual([]);
  });

  it('a retry replaces its own reservation, and a stale holder cannot release a newer one', () => {
    const l = new UsdLedger();
    l.setLimit('job:a', 100);
    l.reserve({ requestId: 'r1', holder: 'old', scopes: ['job:a'], amountNano: 70 });
    expect(l.reserve({ requestId: 'r1', holder: 'new', scopes: ['job:a'], amountNano: 90 }).kind).toBe('reserved');
    expect(l.scope('job:a')!.committedNano).toBe(90);
    expect(l.release('r1', 'old')).toBe(0);
    expect(l.scope('job:a')!.committedNano).toBe(90);
    expect(l.release('r1', 'new')).toBe(90);
    expect(l.scope('job:a')!.committedNano).toBe(0);
  });

  it('a second outcome replaces the first; a settled request is not reserved again', () => {
    const l = new UsdLedger();
    l.setLimit('job:a', 100);
    l.reserve({ requestId: 'r1', holder: 'h', scopes: ['job:a'], amountNano: 50 });
    l.settle('r1', 30);
    l.settle('r1', 40);
    expect(l.scope('job:a')).toMatchObject({ committedNano: 40, spentNano: 40 });
    expect(l.reserve({ requestId: 'r1', holder: 'h2', scopes: ['job:a'], amountNano: 50 })).toEqual({ kind: 'already_settled' });
    expect(l.release('r1', 'h')).toBe(0);
    expect(l.settle('r1', 70)).toEqual({ kind: 'settled', overrunNano: 20 });
    expect(l.settle('nobody', 5)).toEqual({ kind: 'unreserved', overrunNano: 0 });
  });

  it('round-trips through changes() the way the store persists it', () => {
    const l = new UsdLedger();
    l.setLimit('job:a', 100);
    l.reserve({ requestId: 'r1', holder: 'h', scopes: ['job:a'], amountNano: 50 });
    l.reserve({ requestId: 'r2', holder: 'h', scopes: ['job:a'], amountNano: 10 });
    l.release('r2', 'h');
    const c = l.changes();
    expect(c.scopes).toEqual([{ scope: 'job:a', limitNano: 100, committedNano: 50, spentNano: 0 }]);
    expect(c.upserts.map((e) => e.requestId)).toEqual(['r1']);
    expect(c.deletes).toEqual([{ scope: 'job:a', requestId: 'r2' }]);
  });

  it('rounds reservations up and limits down', () => {
    expect(nanoUsdCeil(0.1 + 0.2)).toBe(300_000_000);
    expect(nanoUsdFloor(0.3)).toBe(300_000_000);
    expect(nanoUsdCeil(1e-10)).toBe(1);
    expect(nanoUsdFloor(1.9999999999)).toBe(1_999_999_999);
  });
});

// The property: requests with random prices and sizes are decided by several instances that
// crash (losing what they held in memory, releasing nothing), are fenced and release late,
// retry (the same request decided again), defer (release), and whose outcomes arrive late,
// twice, or never. The ledger is persisted and reloaded between steps the way the store does
// (scope rows + entries), so a bug in changes() breaks the property too. Executors honour max
// output tokens, so each true cost is at most its worst case. Spend never passes the budget.
type Op =
  | { t: 'decide'; req: number; inst: number; promptTokens: number; maxOut: number; inPrice: number; outPrice: number }
  | { t: 'commit'; inst: number }
  | { t: 'crash'; inst: number }
  | { t: 'defer'; inst: number }
  | { t: 'outcome'; pick: number; usedFraction: number; twice: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    t: fc.constant('decide' as const),
    req: fc.nat(40),
    inst: fc.nat(2),
    promptTokens: fc.integer({ min: 1, max: 4000 }),
    maxOut: fc.integer({ min: 1, max: 2000 }),
    inPrice: fc.integer({ min: 0, max: 30_000 }),
    outPrice: fc.integer({ min: 0, max: 60_000 }),
  }),
  fc.record({ t: fc.constant('commit' as const), inst: fc.nat(2) }),
  fc.record({ t: fc.constant('crash' as const), inst: fc.nat(2) }),
  fc.record({ t: fc.constant('defer' as const), inst: fc.nat(2) }),
  fc.record({ t: fc.constant('outcome' as const), pick: fc.nat(1000), usedFraction: fc.double({ min: 0, max: 1, noNaN: true }), twice: fc.boolean() }),
);

describe('UsdLedger property: spend never passes the budget', () => {
  it('holds for random requests, prices, delays, crashes and retries', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5_000_000_000 }), fc.integer({ min: 1, max: 3_000_000_000 }), fc.array(opArb, { maxLength: 300 }), (jobLimit, tenantLimit, ops) => {
        let persisted: { scopes: UsdScope[]; entries: UsdEntry[] } = { scopes: [], entries: [] };
        const load = (): UsdLedger => new UsdLedger(persisted.scopes, persisted.entries);
        const save = (l: UsdLedger): void => {
          const c = l.changes();
          const scopes = new Map(persisted.scopes.map((s) => [s.scope, s]));
          for (const s of c.scopes) scopes.set(s.scope, s);
          const entries = new Map(persisted.entries.map((e) => [`${e.scope}\u0000${e.requestId}`, e]));
          for (const d of c.deletes) entries.delete(`${d.scope}\u0000${d.requestId}`);
          for (const e of c.upserts) entries.set(`${e.scope}\u0000${e.requestId}`, e);
          persisted = { scopes: [...scopes.values()], entries: [...entries.values()] };
        };
        const scopes = ['job:j', 'tenant:t:day'];
        let attempt = 0;
        // Per instance: decisions taken in the current slice, not committed yet.
        const pending = new Map<number, { req: number; holder: string; worst: number }[]>();
        // Committed decisions whose outcome may arrive: request -> worst case of the committed decision.
        const running = new Map<number, number>();
        const trueSpend = new Map<number, number>();
        for (const op of ops) {
          const l = load();
          l.setLimit('job:j', jobLimit);
          l.setLimit('tenant:t:day', tenantLimit);
          // Exactly-once input: a decision that committed is never read again, so never decided again.
          if (op.t === 'decide' && !running.has(op.req)) {
            const worst = op.promptTokens * op.inPrice + op.maxOut * op.outPrice;
            const holder = `i${op.inst}#${attempt++}`;
            const r = l.reserve({ requestId: `r${op.req}`, holder, scopes, amountNano: worst });
            if (r.kind === 'reserved') pending.set(op.inst, [...(pending.get(op.inst) ?? []), { req: op.req, holder, worst }]);
          } else if (op.t === 'decide') {
            // already running: nothing to do
          } else if (op.t === 'commit') {
            for (const p of pending.get(op.inst) ?? []) {
              // A request decided again by another instance fences this one (the Kafka transaction of the older decision aborts).
              const own = l.entriesOf(`r${p.req}`);
              if (own.length > 0 && own.every((e) => e.holder === p.holder && e.state === 'reserved')) running.set(p.req, p.worst);
              else l.release(`r${p.req}`, p.holder);
            }
            pending.delete(op.inst);
          } else if (op.t === 'crash') {
            pending.delete(op.inst);
          } else if (op.t === 'defer') {
            for (const p of pending.get(op.inst) ?? []) l.release(`r${p.req}`, p.holder);
            pending.delete(op.inst);
          } else {
            const reqs = [...running.keys()];
            if (reqs.length > 0) {
              const req = reqs[op.pick % reqs.length]!;
              const cost = Math.floor(running.get(req)! * op.usedFraction);
              l.settle(`r${req}`, cost);
              if (op.twice) l.settle(`r${req}`, cost);
              trueSpend.set(req, cost);
            }
          }
          save(l);
          const check = load();
          const job = check.scope('job:j')!;
          const tenant = check.scope('tenant:t:day')!;
          const spent = [...trueSpend.values()].reduce((a, b) => a + b, 0);
          expect(spent).toBeLessThanOrEqual(Math.min(jobLimit, tenantLimit));
          expect(job.spentNano).toBe(spent);
          expect(tenant.spentNano).toBe(spent);
          expect(job.committedNano).toBeLessThanOrEqual(jobLimit);
          expect(tenant.committedNano).toBeLessThanOrEqual(tenantLimit);
          const entrySum = persisted.entries.filter((e) => e.scope === 'job:j').reduce((a, e) => a + e.amountNano, 0);
          expect(job.committedNano).toBe(entrySum);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('fails loudly when an executor overruns its reservation (the only way past the limit)', () => {
    const l = new UsdLedger();
    l.setLimit('job:j', 100);
    l.reserve({ requestId: 'r', holder: 'h', scopes: ['job:j'], amountNano: 100 });
    expect(l.settle('r', 150).overrunNano).toBe(50);
    expect(l.scope('job:j')!.spentNano).toBe(150);
  });
});
