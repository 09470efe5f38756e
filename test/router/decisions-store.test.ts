// The router's Postgres side on the real database: concurrent budget leases never hand out more
// than a window's limit, and decision upserts keep the latest deferral round.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireBudgetLeases, createPool, readBudgetUsage, recordDecisions, releaseBudgetLeases } from '@switchyard/store';
import type { DecisionRecord, Pool } from '@switchyard/store';
import { stack, uniqueName, withClient } from '../support/index.ts';

describe('router decisions and budget leases in Postgres', () => {
  const prefix = uniqueName('rts');
  let pool: Pool;

  beforeAll(() => {
    pool = createPool({ url: stack().postgresUrl, poolMax: 8 });
  });

  afterAll(async () => {
    await pool.end();
    await withClient(stack().adminUrl, async (c) => {
      await c.query('DELETE FROM switchyard.decisions WHERE job_id = $1', [prefix]);
      await c.query('DELETE FROM switchyard.budget_usage WHERE rule_id LIKE $1', [`${prefix}%`]);
    });
  });

  it('grants concurrent leases up to the limit and no further, and takes returns back', async () => {
    const lease = { ruleId: `${prefix}:model:a:minute`, subject: 'a', windowStartMs: 600_000, windowMs: 60_000, limitTokens: 1_000, tokens: 300 };
    const other = { ...lease, ruleId: `${prefix}:tenant:t:minute`, subject: 't', limitTokens: 450 };
    const grants = await Promise.all(Array.from({ length: 12 }, () => acquireBudgetLeases(pool, [lease, other])));
    expect(grants.reduce((s, g) => s + g[0]!, 0)).toBe(1_000);
    expect(grants.reduce((s, g) => s + g[1]!, 0)).toBe(450);
    await releaseBudgetLeases(pool, [{ ...lease, tokens: 250 }]);
    const usage = (await readBudgetUsage(pool, 0)).filter((u) => u.ruleId.startsWith(prefix));
    expect(usage.map((u) => [u.ruleId, u.usedTokens, u.limitTokens])).toEqual([
      [lease.ruleId, 750, 1_000],
      [other.ruleId, 450, 450],
    ]);
    expect(await acquireBudgetLeases(pool, [lease])).toEqual([250]);
  });

  it('upserts by request id: a replay overwrites, an older deferral round does not', async () => {
    const row = (over: Partial<DecisionRecord>): DecisionRecord => ({
      requestId: `${prefix}-r1`,
      jobId: prefix,
      tenant: 't',
      outcome: 'deferred',
      model: null,
      batchId: null,
      fallbackRank: null,
      promptTokens: 10,
      estimatedTokens: null,
      predictedQuality: null,
      predictedCostUsd: null,
      score: null,
      dualPrice: null,
      scores: [0.5, Number.NaN],
      reason: 'rate_limited',
      deferUntilMs: 1_000,
      deferrals: 1,
      policy: 'resolving-dual',
      routerInstance: 'r',
      sourceTopic: 'req',
      sourcePartition: 0,
      sourceOffset: '7',
      decidedAtMs: 500,
      ...over,
    });
    await recordDecisions(pool, [row({})]);
    const routed = row({ outcome: 'routed', model: 'a', batchId: 'b-1', reason: null, deferUntilMs: null, deferrals: 1, estimatedTokens: 40 });
    await recordDecisions(pool, [routed]);
    await recordDecisions(pool, [row({ deferrals: 0, reason: 'stale replay of the first round' })]);
    const rows = await withClient(stack().adminUrl, async (c) =>
      (await c.query<{ outcome: string; batch_id: string | null; deferrals: number; scores: unknown }>(
        'SELECT outcome, batch_id, deferrals, scores FROM switchyard.decisions WHERE job_id = $1',
        [prefix],
      )).rows,
    );
    expect(rows).toEqual([{ outcome: 'routed', batch_id: 'b-1', deferrals: 1, scores: [0.5, null] }]);
  });
});
