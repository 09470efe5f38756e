// The dollar ledger on the real Postgres: two pools (two router instances) reserve worst cases
// concurrently for requests of one job, settle them to random true costs, decide some requests
// again (retries replace their reservation), defer some (release), and replay outcomes; the sum
// of true costs in Postgres never passes the budget, and the budget is used to at least 90%
// when demand exceeds it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '@switchyard/routing-core';
import { createPool, readJobUsdBudgets, readUsdBudgets, releaseUsd, reserveUsd, reserveUsdCandidates, settleUsd } from '@switchyard/store';
import type { Pool } from '@switchyard/store';
import { stack, uniqueName, withClient } from '../support/index.ts';

describe('dollar ledger in Postgres', () => {
  const prefix = uniqueName('usd');
  let a: Pool;
  let b: Pool;

  beforeAll(() => {
    a = createPool({ url: stack().postgresUrl, poolMax: 4 });
    b = createPool({ url: stack().postgresUrl, poolMax: 4 });
  });

  afterAll(async () => {
    await a.end();
    await b.end();
    await withClient(stack().adminUrl, async (c) => {
      await c.query('DELETE FROM switchyard.usd_budgets WHERE scope LIKE $1', [`${prefix}%`]);
      await c.query('DELETE FROM switchyard.jobs WHERE job_id LIKE $1', [`${prefix}%`]);
    });
  });

  it('reserves, settles idempotently and releases only for the holder', async () => {
    const scope = { scope: `${prefix}:basic`, limitUsd: 1 };
    const r = await reserveUsd(a, [
      { requestId: `${prefix}-r1`, holder: 'a#1', scopes: [scope], worstCaseUsd: 0.6 },
      { requestId: `${prefix}-r2`, holder: 'a#1', scopes: [scope], worstCaseUsd: 0.6 },
    ]);
    expect(r[0]!.kind).toBe('reserved');
    expect(r[1]).toMatchObject({ kind: 'refused', reason: 'budget_usd_exhausted' });
    expect(await releaseUsd(b, [{ requestId: `${prefix}-r1`, holder: 'b#9' }])).toEqual([0]);
    expect(await settleUsd(b, [{ requestId: `${prefix}-r1`, trueCostUsd: 0.25 }])).toEqual([{ kind: 'settled', overrunNano: 0 }]);
    await settleUsd(a, [{ requestId: `${prefix}-r1`, trueCostUsd: 0.25 }]);
    const [row] = await readUsdBudgets(a, [scope.scope]);
    expect(row).toMatchObject({ committedUsd: 0.25, spentUsd: 0.25, limitUsd: 1 });
    expect((await reserveUsd(b, [{ requestId: `${prefix}-r1`, holder: 'b#2', scopes: [scope], worstCaseUsd: 0.1 }]))[0]).toEqual({ kind: 'already_settled' });
  });

  it('two instances reserving concurrently never pass the budget, and use at least 90% of it', async () => {
    const budget = { scope: `${prefix}:job`, limitUsd: 2 };
    const tenantDay = { scope: `${prefix}:tenant-day`, limitUsd: 50 };
    const rng = createRng(7);
    const requests = Array.from({ length: 400 }, (_, i) => ({ id: `${prefix}-q${i}`, worst: 0.005 + rng() * 0.05, used: rng() }));
    const queue = [...requests];
    const trueCost = new Map<string, number>();
    let attempt = 0;

    const instance = async (pool: Pool, name: string): Promise<void> => {
      while (queue.length > 0) {
        const slice = queue.splice(0, 1 + Math.floor(rng() * 6));
        const holder = `${name}#${attempt++}`;
        const res = await reserveUsd(pool, slice.map((q) => ({ requestId: q.id, holder, scopes: [budget, tenantDay], worstCaseUsd: q.worst })));
        const reserved = slice.filter((_, i) => res[i]!.kind === 'reserved');
        const refused = slice.filter((_, i) => res[i]!.kind === 'refused');
        if (rng() < 0.1 && reserved.length > 0) {
          // A crashed slice: nothing released; the requests come back and are decided again.
          queue.push(...reserved);
          continue;
        }
        if (rng() < 0.1 && reserved.length > 0) {
          // Deferred after reserving (another cap said no): released, retried later.
          await releaseUsd(pool, reserved.map((q) => ({ requestId: q.id, holder })));
          queue.push(...reserved);
          continue;
        }
        // Outcomes arrive (some twice, from either instance) at true cost <= worst case.
        const settled = reserved.map((q) => ({ requestId: q.id, trueCostUsd: q.worst * q.used }));
        await settleUsd(rng() < 0.5 ? a : b, settled);
        if (rng() < 0.3) await settleUsd(rng() < 0.5 ? a : b, settled);
        for (const s of settled) trueCost.set(s.requestId, s.trueCostUsd);
        // Refused requests whose worst case may still fit later are retried once settlements give back.
        if (refused.length > 0 && queue.length > 0) queue.push(...refused.filter(() => rng() < 0.3));
        const [row] = await readUsdBudgets(pool, [budget.scope]);
        expect(row!.committedUsd).toBeLessThanOrEqual(budget.limitUsd);
      }
    };
    await Promise.all([instance(a, 'a'), instance(b, 'b')]);

    const [row] = await readUsdBudgets(a, [budget.scope]);
    const realised = await withClient(stack().adminUrl, async (c) => {
      const r = await c.query<{ spent: string; n: string }>(
        `SELECT coalesce(sum(amount_nano), 0) AS spent, count(*) AS n FROM switchyard.usd_reservations WHERE scope = $1 AND state = 'settled'`,
        [budget.scope],
      );
      return { spentUsd: Number(r.rows[0]!.spent) / 1e9, n: Number(r.rows[0]!.n) };
    });
    const trueSum = [...trueCost.values()].reduce((x, y) => x + y, 0);
    expect(realised.n).toBe(trueCost.size);
    expect(realised.spentUsd).toBeCloseTo(row!.spentUsd, 9);
    expect(realised.spentUsd).toBeGreaterThanOrEqual(trueSum - 1e-6);
    expect(realised.spentUsd).toBeLessThanOrEqual(budget.limitUsd);
    // Demand (sum of worst cases ~ 400 x 0.03 = 12 USD) is far above 2 USD: outstanding
    // reservations all settled, so what is not spent is less than the largest worst case plus
    // the refused requests' rounding; at least 90% goes to true costs.
    const outstanding = row!.committedUsd - row!.spentUsd;
    expect(outstanding).toBeGreaterThanOrEqual(0);
    expect(outstanding).toBeCloseTo(0, 9);
    expect(realised.spentUsd).toBeGreaterThanOrEqual(0.9 * budget.limitUsd);
  });

  it('reads the budget and deadline a job was submitted with', async () => {
    await withClient(stack().adminUrl, async (c) => {
      await c.query(
        `INSERT INTO switchyard.jobs (job_id, tenant, source, source_format, source_bytes, topic, status, submitted_at, budget_usd, deadline_at)
         VALUES ($1, 't', 'f', 'jsonl', 1, 'requests', 'submitted', to_timestamp(1000), 3.5, to_timestamp(4600)),
                ($2, 't', 'f', 'jsonl', 1, 'requests', 'submitted', to_timestamp(1000), NULL, NULL)`,
        [`${prefix}-job1`, `${prefix}-job2`],
      );
    });
    const got = await readJobUsdBudgets(a, [`${prefix}-job1`, `${prefix}-job2`, `${prefix}-none`]);
    expect(got.get(`${prefix}-job1`)).toEqual({ jobId: `${prefix}-job1`, tenant: 't', budgetUsd: 3.5, deadlineMs: 4_600_000, submittedAtMs: 1_000_000, expectedRequests: null });
    expect(got.get(`${prefix}-job2`)).toMatchObject({ budgetUsd: null, deadlineMs: null });
    expect(got.has(`${prefix}-none`)).toBe(false);
  });

  it('falls back to the best-ranked model whose worst case still fits, in one transaction per slice', async () => {
    const scope = { scope: `${prefix}:fallback`, limitUsd: 1 };
    const cands = [{ model: 'dear', worstCaseUsd: 0.6 }, { model: 'cheap', worstCaseUsd: 0.05 }];
    const res = await reserveUsdCandidates(b, [
      { requestId: `${prefix}-f1`, holder: 'b#1', scopes: [scope], candidates: cands },
      { requestId: `${prefix}-f2`, holder: 'b#1', scopes: [scope], candidates: cands },
      { requestId: `${prefix}-f3`, holder: 'b#1', scopes: [scope], candidates: [{ model: 'huge', worstCaseUsd: 2 }] },
    ]);
    expect(res[0]).toMatchObject({ kind: 'reserved', model: 'dear', rank: 0 });
    expect(res[1]).toMatchObject({ kind: 'reserved', model: 'cheap', rank: 1 });
    expect(res[2]).toMatchObject({ kind: 'refused', reason: 'budget_usd_too_small' });
    expect((await readUsdBudgets(b, [scope.scope]))[0]!.committedUsd).toBeCloseTo(0.65, 9);
  });
});
