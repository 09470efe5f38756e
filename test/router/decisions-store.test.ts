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

  it('writes each row its own values whether a column is shared by the slice or not', async () => {
    const base: DecisionRecord = {
      requestId: '', jobId: prefix, tenant: 't', outcome: 'routed', model: 'a', batchId: 'b', fallbackRank: 0, promptTokens: 10,
      estimatedTokens: 40, predictedQuality: 0.5, predictedCostUsd: 0.01, score: 0.3, dualPrice: 0, scores: [], reason: null,
      deferUntilMs: null, deferrals: 0, policy: 'p', routerInstance: 'r', sourceTopic: 'req', sourcePartition: 0, sourceOffset: '1', decidedAtMs: 1_000,
    };
    const feature = (b: number) => ({ embedding: Uint8Array.of(b, b + 1, b + 2), rawQuality: 0.1, rawCostUsd: 0.2, rawOutputTokens: Number.NaN });
    const slices: DecisionRecord[][] = [
      // Every shared column the same in the slice: they travel once.
      [
        { ...base, requestId: `${prefix}-s1`, scores: Float64Array.of(1, 2), features: feature(1) },
        { ...base, requestId: `${prefix}-s2`, scores: [], features: null },
        { ...base, requestId: `${prefix}-s3`, scores: [3, Number.POSITIVE_INFINITY, 4], features: feature(7) },
      ],
      // Each of them different per row.
      [
        { ...base, requestId: `${prefix}-m1`, tenant: 't1', policy: 'p1', routerInstance: 'r1', sourceTopic: 'q1', decidedAtMs: 2_000, scores: [5] },
        { ...base, requestId: `${prefix}-m2`, tenant: 't2', policy: 'p2', routerInstance: 'r2', sourceTopic: 'q2', decidedAtMs: 3_000, features: feature(9) },
      ],
    ];
    for (const slice of slices) expect(await recordDecisions(pool, slice)).toBe(slice.length);
    const rows = await withClient(stack().adminUrl, async (c) =>
      (await c.query<Record<string, unknown>>(
        `SELECT request_id, tenant, policy, router_instance, source_topic, extract(epoch from decided_at) * 1000 AS decided_ms, scores, feature_embedding, raw_output_tokens
         FROM switchyard.decisions WHERE job_id = $1 AND request_id <> $2 ORDER BY request_id`,
        [prefix, `${prefix}-r1`],
      )).rows,
    );
    const bytes = (b: number) => Buffer.from([b, b + 1, b + 2]);
    expect(rows.map((r) => ({ ...r, decided_ms: Number(r.decided_ms) }))).toEqual([
      { request_id: `${prefix}-m1`, tenant: 't1', policy: 'p1', router_instance: 'r1', source_topic: 'q1', decided_ms: 2_000, scores: [5], feature_embedding: null, raw_output_tokens: null },
      { request_id: `${prefix}-m2`, tenant: 't2', policy: 'p2', router_instance: 'r2', source_topic: 'q2', decided_ms: 3_000, scores: [], feature_embedding: bytes(9), raw_output_tokens: null },
      { request_id: `${prefix}-s1`, tenant: 't', policy: 'p', router_instance: 'r', source_topic: 'req', decided_ms: 1_000, scores: [1, 2], feature_embedding: bytes(1), raw_output_tokens: null },
      { request_id: `${prefix}-s2`, tenant: 't', policy: 'p', router_instance: 'r', source_topic: 'req', decided_ms: 1_000, scores: [], feature_embedding: null, raw_output_tokens: null },
      { request_id: `${prefix}-s3`, tenant: 't', policy: 'p', router_instance: 'r', source_topic: 'req', decided_ms: 1_000, scores: [3, null, 4], feature_embedding: bytes(7), raw_output_tokens: null },
    ]);
  });
});
