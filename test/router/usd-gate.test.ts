// The dollar gate a router slice calls, on the real Postgres: a job's budget from the jobs
// table and a tenant's day cap from config, fallback to a cheaper model, defer while budget may
// come back, reject when it never can, release on abort, and two instances sharing one budget.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsdBudgetGate, createPool, readUsdBudgets, settleUsd } from '@switchyard/store';
import type { Pool, UsdGateRequest } from '@switchyard/store';
import { stack, uniqueName, withClient } from '../support/index.ts';

describe('dollar gate', () => {
  const prefix = uniqueName('gate');
  const jobId = `${prefix}-job`;
  let a: Pool;
  let b: Pool;
  // dear: worst case of 1,000 prompt + 1,000 max output = 0.04 USD; cheap: 0.004 USD.
  const prices = new Map([
    ['dear', { costPer1kPromptTokensUsd: 0.01, costPer1kCompletionTokensUsd: 0.03 }],
    ['cheap', { costPer1kPromptTokensUsd: 0.001, costPer1kCompletionTokensUsd: 0.003 }],
    ['free-for-all', {}],
  ]);
  const gate = (pool: Pool, tenantCap?: number) =>
    new UsdBudgetGate(pool, { caps: { tenantUsdPerDay: tenantCap === undefined ? {} : { [`${prefix}-t`]: tenantCap }, jobUsdPerDay: {} }, prices, jobBudgetTtlMs: 60_000, clock: () => Date.parse('2026-12-04T12:00:00Z') });
  const req = (n: number, ranked = ['dear', 'cheap']): UsdGateRequest => ({ requestId: `${prefix}-r${n}`, jobId, tenant: `${prefix}-t`, promptTokens: 1_000, maxOutputTokens: 1_000, ranked });

  beforeAll(async () => {
    a = createPool({ url: stack().postgresUrl, poolMax: 3 });
    b = createPool({ url: stack().postgresUrl, poolMax: 3 });
    await a.query(
      `INSERT INTO switchyard.jobs (job_id, tenant, source, source_format, source_bytes, topic, status, submitted_at, budget_usd)
       VALUES ($1, $2, 'f', 'jsonl', 1, 'requests', 'submitted', now(), 0.1)`,
      [jobId, `${prefix}-t`],
    );
  });

  afterAll(async () => {
    await a.end();
    await b.end();
    await withClient(stack().adminUrl, async (c) => {
      await c.query('DELETE FROM switchyard.usd_budgets WHERE scope LIKE $1', [`%${prefix}%`]);
      await c.query('DELETE FROM switchyard.jobs WHERE job_id LIKE $1', [`${prefix}%`]);
    });
  });

  it("routes within the job's budget, falls back, defers, rejects and releases on abort", async () => {
    const g = gate(a);
    const v = await g.reserveSlice('a#1', [req(1), req(2), req(3), req(4, ['free-for-all'])]);
    expect(v[0]).toMatchObject({ kind: 'route', model: 'dear', rank: 0 });
    expect(v[1]).toMatchObject({ kind: 'route', model: 'dear', rank: 0 });
    expect(v[2]).toMatchObject({ kind: 'route', model: 'cheap', rank: 1 });
    expect(v[3]).toEqual({ kind: 'reject', reason: 'budget_usd_unpriced_models', scope: null });
    // 0.084 held of 0.1: a fifth dear request does not fit but outstanding reservations may come back.
    const later = await g.reserveSlice('a#2', [req(5, ['dear'])]);
    expect(later[0]).toMatchObject({ kind: 'defer', reason: 'budget_usd_exhausted', scope: `job:${jobId}` });
    // The first two ran cheaply: settled, the budget comes back and the request fits.
    await settleUsd(a, [{ requestId: `${prefix}-r1`, trueCostUsd: 0.01 }, { requestId: `${prefix}-r2`, trueCostUsd: 0.01 }]);
    expect((await g.reserveSlice('a#3', [req(5, ['dear'])]))[0]).toMatchObject({ kind: 'route', model: 'dear' });
    // An aborted slice gives back only its own reservation.
    await g.releaseSlice('a#3', [`${prefix}-r5`]);
    const [row] = await readUsdBudgets(a, [`job:${jobId}`]);
    expect(row!.committedUsd).toBeCloseTo(0.024, 9);
    // A request whose worst case is above the whole budget is rejected.
    const big = await g.reserveSlice('a#4', [{ ...req(6, ['dear']), maxOutputTokens: 10_000 }]);
    expect(big[0]).toMatchObject({ kind: 'reject', reason: 'budget_usd_too_small' });
  });

  it("two instances share a tenant's day cap: never over it, deferred (the day will turn) when full", async () => {
    const ga = gate(a, 0.05);
    const gb = gate(b, 0.05);
    const other = (n: number): UsdGateRequest => ({ ...req(100 + n, ['cheap']), jobId: `${prefix}-nobudget` });
    const [va, vb] = await Promise.all([ga.reserveSlice('a#9', Array.from({ length: 10 }, (_, i) => other(i))), gb.reserveSlice('b#9', Array.from({ length: 10 }, (_, i) => other(10 + i)))]);
    const all = [...va, ...vb];
    expect(all.filter((v) => v.kind === 'route')).toHaveLength(12);
    expect(all.filter((v) => v.kind === 'defer')).toHaveLength(8);
    const [row] = await readUsdBudgets(a, [`tenant-day:${prefix}-t:2026-12-04`]);
    expect(row!.committedUsd).toBeLessThanOrEqual(0.05);
  });
});
