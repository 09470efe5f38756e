import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WindowBudgetLedger, routeWithinBudget, windowStartOf } from '../src/budget-window.ts';
import type { BudgetRule } from '../src/budget-window.ts';

const MIN = 60_000;
const DAY = 86_400_000;

const modelRule = (model: string, windowMs: number, limitTokens: number, id = `${model}/${windowMs}`): BudgetRule => ({
  id,
  scope: { kind: 'model', model },
  windowMs,
  limitTokens,
});

const req = (model: string, tokens: number, tenant = 't', jobId = 'j') => ({ model, tenant, jobId, tokens });

describe('WindowBudgetLedger', () => {
  it('aligns windows to the epoch', () => {
    expect(windowStartOf(125_000, MIN)).toBe(120_000);
    expect(windowStartOf(DAY + 5, DAY)).toBe(DAY);
  });

  it('reserves until a window is spent, then reports when it resets', () => {
    const ledger = new WindowBudgetLedger([modelRule('a', MIN, 100)]);
    expect(ledger.tryReserve(req('a', 60), 10_000).ok).toBe(true);
    expect(ledger.tryReserve(req('a', 40), 20_000).ok).toBe(true);
    expect(ledger.tryReserve(req('a', 1), 30_000)).toEqual({ ok: false, reason: 'window_exhausted', ruleId: 'a/60000', retryAtMs: MIN });
    expect(ledger.tryReserve(req('a', 100), MIN).ok).toBe(true);
  });

  it('is all or nothing across the minute and the day window', () => {
    const ledger = new WindowBudgetLedger([modelRule('a', MIN, 100), modelRule('a', DAY, 150)]);
    expect(ledger.tryReserve(req('a', 100), 0).ok).toBe(true);
    const blocked = ledger.tryReserve(req('a', 60), MIN);
    expect(blocked).toEqual({ ok: false, reason: 'window_exhausted', ruleId: 'a/86400000', retryAtMs: DAY });
    const minute = ledger.usage(MIN).find((u) => u.ruleId === 'a/60000');
    expect(minute?.usedTokens ?? 0).toBe(0);
    expect(ledger.tryReserve(req('a', 50), MIN).ok).toBe(true);
  });

  it('retries at the latest reset among the windows that block', () => {
    const ledger = new WindowBudgetLedger([modelRule('a', MIN, 10), modelRule('a', DAY, 10)]);
    ledger.tryReserve(req('a', 10), 0);
    expect(ledger.tryReserve(req('a', 1), 1)).toMatchObject({ ok: false, retryAtMs: DAY });
  });

  it('never admits a request larger than a window limit, whatever the wait', () => {
    const ledger = new WindowBudgetLedger([modelRule('a', MIN, 10)]);
    expect(ledger.tryReserve(req('a', 11), 0)).toEqual({ ok: false, reason: 'exceeds_window_limit', ruleId: 'a/60000', retryAtMs: null });
    expect(ledger.tryReserve(req('a', Number.NaN), 0)).toMatchObject({ ok: false, reason: 'invalid_tokens', retryAtMs: null });
  });

  it('gives each tenant its own window with a wildcard rule, and a named job its own cap', () => {
    const ledger = new WindowBudgetLedger([
      { id: 'per-tenant', scope: { kind: 'tenant', tenant: '*' }, windowMs: MIN, limitTokens: 10 },
      { id: 'job-x', scope: { kind: 'job', jobId: 'x' }, windowMs: MIN, limitTokens: 5 },
    ]);
    expect(ledger.tryReserve(req('a', 10, 'acme'), 0).ok).toBe(true);
    expect(ledger.tryReserve(req('b', 1, 'acme'), 0)).toMatchObject({ ok: false, ruleId: 'per-tenant' });
    expect(ledger.tryReserve(req('a', 5, 'globex', 'x'), 0).ok).toBe(true);
    expect(ledger.tryReserve(req('a', 1, 'globex', 'x'), 0)).toMatchObject({ ok: false, ruleId: 'job-x' });
    expect(ledger.tryReserve(req('a', 4, 'globex', 'y'), 0).ok).toBe(true);
  });

  it('release gives a reservation back', () => {
    const ledger = new WindowBudgetLedger([modelRule('a', MIN, 10)]);
    const r = ledger.tryReserve(req('a', 10), 0);
    if (!r.ok) throw new Error('expected a reservation');
    ledger.release(r.reservation);
    expect(ledger.tryReserve(req('a', 10), 0).ok).toBe(true);
  });

  it('leased mode only uses what was granted, never more than the limit, and settles the surplus', () => {
    const ledger = new WindowBudgetLedger([modelRule('a', MIN, 100)], 'leased');
    expect(ledger.tryReserve(req('a', 1), 0).ok).toBe(false);
    ledger.grant('a/60000', 'a', 0, 30);
    expect(ledger.tryReserve(req('a', 20), 0).ok).toBe(true);
    expect(ledger.tryReserve(req('a', 20), 0).ok).toBe(false);
    expect(ledger.settle()).toEqual([{ key: 'a/60000|a|0', ruleId: 'a/60000', subject: 'a', windowStartMs: 0, surplusTokens: 10 }]);
    ledger.grant('a/60000', 'a', 0, 1_000);
    expect(ledger.usage(0)[0]?.capacityTokens).toBe(100);
  });

  it('drops ended windows so the ledger stays bounded', () => {
    const ledger = new WindowBudgetLedger([{ id: 'per-job', scope: { kind: 'job', jobId: '*' }, windowMs: MIN, limitTokens: 10 }]);
    for (let i = 0; i < 100; i++) ledger.tryReserve(req('a', 1, 't', `job-${i}`), i * MIN);
    expect(ledger.usage(100 * MIN)).toHaveLength(0);
  });

  it('property: no window ever uses more than its budget, and granted usage matches accepted tokens', () => {
    const models = ['a', 'b'];
    const rules: BudgetRule[] = [
      modelRule('a', MIN, 500),
      modelRule('a', 10 * MIN, 1_200),
      modelRule('b', MIN, 300),
      { id: 'tenant', scope: { kind: 'tenant', tenant: '*' }, windowMs: 5 * MIN, limitTokens: 900 },
    ];
    const op = fc.record({
      model: fc.constantFrom(...models),
      tenant: fc.constantFrom('t1', 't2'),
      tokens: fc.integer({ min: 0, max: 600 }),
      dtMs: fc.integer({ min: 0, max: 20_000 }),
      leased: fc.integer({ min: 0, max: 400 }),
    });
    fc.assert(
      fc.property(fc.boolean(), fc.array(op, { maxLength: 400 }), (leased, ops) => {
        const ledger = new WindowBudgetLedger(rules, leased ? 'leased' : 'local');
        const spent = new Map<string, number>();
        let now = 0;
        for (const o of ops) {
          now += o.dtMs;
          if (leased) {
            for (const { rule, subject } of ledger.rulesFor({ model: o.model, tenant: o.tenant, jobId: 'j' })) {
              ledger.grant(rule.id, subject, now, o.leased);
            }
          }
          const r = ledger.tryReserve({ model: o.model, tenant: o.tenant, jobId: 'j', tokens: o.tokens }, now);
          if (r.ok) for (const k of r.reservation.windowKeys) spent.set(k, (spent.get(k) ?? 0) + o.tokens);
          for (const u of ledger.usage(now)) {
            expect(u.usedTokens).toBeLessThanOrEqual(u.limitTokens);
            expect(u.usedTokens).toBeLessThanOrEqual(u.capacityTokens);
            expect(u.usedTokens).toBe(spent.get(u.key) ?? 0);
          }
        }
        for (const [key, used] of spent) {
          const ruleId = key.split('|')[0];
          const rule = rules.find((r) => r.id === ruleId);
          expect(used).toBeLessThanOrEqual(rule?.limitTokens ?? -1);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('routeWithinBudget', () => {
  const ranked = [
    { model: 'a', estimatedTokens: 50 },
    { model: 'b', estimatedTokens: 70 },
  ];
  const base = { ranked, tenant: 't', jobId: 'j', deadlineMs: null, nowMs: 1_000 };

  it('routes to the first choice while it has budget', () => {
    const ledger = new WindowBudgetLedger([modelRule('a', MIN, 100), modelRule('b', MIN, 100)]);
    expect(routeWithinBudget(ledger, base)).toMatchObject({ kind: 'route', model: 'a', fallbackRank: 0, estimatedTokens: 50 });
  });

  it('falls back to the next ranked model with budget', () => {
    const ledger = new WindowBudgetLedger([modelRule('a', MIN, 40), modelRule('b', MIN, 100)]);
    const d = routeWithinBudget(ledger, base);
    expect(d).toMatchObject({ kind: 'route', model: 'b', fallbackRank: 1 });
    expect(d.skipped).toEqual([{ model: 'a', reason: 'exceeds_window_limit', ruleId: 'a/60000', retryAtMs: null }]);
  });

  it('defers to the earliest reset among ranked models when all are spent', () => {
    const ledger = new WindowBudgetLedger([modelRule('a', DAY, 60), modelRule('b', MIN, 80)]);
    expect(routeWithinBudget(ledger, base)).toMatchObject({ kind: 'route', model: 'a' });
    expect(routeWithinBudget(ledger, base)).toMatchObject({ kind: 'route', model: 'b' });
    expect(routeWithinBudget(ledger, base)).toMatchObject({ kind: 'defer', untilMs: MIN });
  });

  it('rejects past the deadline without spending budget', () => {
    const ledger = new WindowBudgetLedger([modelRule('a', MIN, 100)]);
    expect(routeWithinBudget(ledger, { ...base, deadlineMs: 999 })).toMatchObject({ kind: 'reject', reason: 'deadline_passed' });
    expect(ledger.usage(1_000).every((u) => u.usedTokens === 0)).toBe(true);
  });

  it('rejects when budget only returns after the deadline or beyond the longest deferral', () => {
    const ledger = new WindowBudgetLedger([modelRule('a', MIN, 50), modelRule('b', MIN, 0)]);
    routeWithinBudget(ledger, base);
    expect(routeWithinBudget(ledger, { ...base, deadlineMs: MIN - 1 })).toMatchObject({ kind: 'reject', reason: 'deadline_unreachable' });
    expect(routeWithinBudget(ledger, { ...base, deadlineMs: MIN })).toMatchObject({ kind: 'defer', untilMs: MIN });
    expect(routeWithinBudget(ledger, { ...base, maxDeferMs: 1_000 })).toMatchObject({ kind: 'reject', reason: 'no_budget' });
  });

  it('rejects no_budget when no ranked model can ever fit the request', () => {
    const ledger = new WindowBudgetLedger([modelRule('a', MIN, 10), modelRule('b', MIN, 10)]);
    expect(routeWithinBudget(ledger, base)).toMatchObject({ kind: 'reject', reason: 'no_budget' });
    expect(routeWithinBudget(ledger, { ...base, ranked: [] })).toMatchObject({ kind: 'reject', reason: 'no_budget' });
  });

  it('property: routed requests never exceed any window and deferrals point at a future reset', () => {
    const rules = [modelRule('a', MIN, 1_000), modelRule('b', MIN, 600), modelRule('c', DAY, 2_000)];
    const reqArb = fc.record({
      order: fc.shuffledSubarray(['a', 'b', 'c'], { minLength: 1 }),
      tokens: fc.integer({ min: 1, max: 700 }),
      dtMs: fc.integer({ min: 0, max: 15_000 }),
      deadlineInMs: fc.option(fc.integer({ min: -1_000, max: 200_000 }), { nil: null }),
    });
    fc.assert(
      fc.property(fc.array(reqArb, { maxLength: 300 }), (reqs) => {
        const ledger = new WindowBudgetLedger(rules);
        let now = 0;
        const spent = new Map<string, number>();
        for (const r of reqs) {
          now += r.dtMs;
          const d = routeWithinBudget(ledger, {
            ranked: r.order.map((model) => ({ model, estimatedTokens: r.tokens })),
            tenant: 't',
            jobId: 'j',
            deadlineMs: r.deadlineInMs === null ? null : now + r.deadlineInMs,
            nowMs: now,
          });
          if (d.kind === 'route') {
            expect(d.model).toBe(r.order[d.fallbackRank]);
            for (const k of d.reservation.windowKeys) spent.set(k, (spent.get(k) ?? 0) + r.tokens);
          } else if (d.kind === 'defer') {
            expect(d.untilMs).toBeGreaterThan(now);
            if (r.deadlineInMs !== null) expect(d.untilMs).toBeLessThanOrEqual(now + r.deadlineInMs);
          }
        }
        for (const [key, used] of spent) {
          const rule = rules.find((x) => x.id === key.split('|')[0]);
          expect(used).toBeLessThanOrEqual(rule?.limitTokens ?? -1);
        }
      }),
      { numRuns: 200 },
    );
  });
});
