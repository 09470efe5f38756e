// A replacing outcome that lands in other rollup rows than the one it replaces: an error on
// one model answered later, on another UTC day, by a success on another model (a retry on the
// next-ranked model does exactly this). The recorder's transaction must commit, and both rollups
// must equal what a recount of the outcomes table gives.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, recordOutcomes } from '@switchyard/store';
import type { OutcomeRecord, Pool } from '@switchyard/store';
import { stack, uniqueName, withClient } from '../support/index.ts';

const DAY_MS = 86_400_000;

describe('outcome rollups under replacement', () => {
  const prefix = uniqueName('rollup');
  const models = [`${prefix}-a`, `${prefix}-b`];
  let pool: Pool;

  beforeAll(() => {
    pool = createPool({ url: stack().postgresUrl, poolMax: 2 });
  });

  afterAll(async () => {
    await pool.end();
    await withClient(stack().adminUrl, async (c) => {
      await c.query('DELETE FROM switchyard.results WHERE job_id = $1', [prefix]);
      await c.query('DELETE FROM switchyard.outcomes WHERE job_id = $1', [prefix]);
      await c.query('DELETE FROM switchyard.outcome_stats WHERE model = ANY($1)', [models]);
      await c.query('DELETE FROM switchyard.outcome_daily WHERE job_id = $1', [prefix]);
    });
  });

  const outcome = (requestId: string, model: string, completedAtMs: number, error: string | null, offset: number): OutcomeRecord => ({
    requestId,
    jobId: prefix,
    tenant: 't',
    model,
    batchId: `${prefix}-b${offset}`,
    segment: 'task',
    quality: error === null ? 0.75 : null,
    success: error === null,
    promptTokens: 10,
    completionTokens: error === null ? 20 : 0,
    latencyMs: 5,
    error,
    costUsd: error === null ? 0.002 : 0,
    costSource: 'reported',
    completedAtMs,
    sourceTopic: 'out',
    sourcePartition: 0,
    sourceOffset: String(offset),
  });

  it('commits an error replaced by a success on another model and day, and the rollups equal a recount', async () => {
    const day0 = Date.UTC(2026, 0, 10, 23, 59, 0);
    // r1: an error on a (day 0), replaced by a success on b (day 1). r2: a success on a, untouched.
    const first = await recordOutcomes(pool, [outcome('r1', models[0]!, day0, 'http_500', 1), outcome('r2', models[0]!, day0, null, 2)]);
    expect(first.inserted).toBe(2);
    const second = await recordOutcomes(pool, [outcome('r1', models[1]!, day0 + DAY_MS, null, 3)]);
    expect(second.replaced).toBe(1);

    const rollups = await withClient(stack().adminUrl, async (c) => {
      const daily = await c.query<{ day: string; model: string; n: string; n_errors: string; n_cost: string; sum_cost_usd: string }>(
        `SELECT to_char(day, 'YYYY-MM-DD') AS day, model, n, n_errors, n_cost, sum_cost_usd FROM switchyard.outcome_daily WHERE job_id = $1 ORDER BY day, model`,
        [prefix],
      );
      const recount = await c.query<{ day: string; model: string; n: string; n_errors: string; n_cost: string; sum_cost_usd: string }>(
        `SELECT to_char((completed_at AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD') AS day, model, count(*) AS n,
                count(*) FILTER (WHERE error IS NOT NULL) AS n_errors, count(cost_usd) AS n_cost, sum(cost_usd::numeric) AS sum_cost_usd
           FROM switchyard.outcomes WHERE job_id = $1 GROUP BY 1, 2 ORDER BY 1, 2`,
        [prefix],
      );
      const stats = await c.query<{ model: string; n: string; n_errors: string }>(
        `SELECT model, n, n_errors FROM switchyard.outcome_stats WHERE model = ANY($1) AND segment = '*' ORDER BY model`,
        [models],
      );
      return { daily: daily.rows, recount: recount.rows, stats: stats.rows };
    });
    // The replaced row's day/model keeps only r2; the emptied error count is back to 0.
    const nonEmpty = rollups.daily.filter((r) => r.n !== '0');
    expect(nonEmpty.map((r) => [r.day, r.model, r.n, r.n_errors, r.n_cost, Number(r.sum_cost_usd)])).toEqual(
      rollups.recount.map((r) => [r.day, r.model, r.n, r.n_errors, r.n_cost, Number(r.sum_cost_usd)]),
    );
    expect(rollups.recount.map((r) => [r.day, r.model, r.n])).toEqual([
      ['2026-01-10', models[0], '1'],
      ['2026-01-11', models[1], '1'],
    ]);
    expect(rollups.stats.map((r) => [r.model, r.n, r.n_errors])).toEqual([
      [models[0], '1', '0'],
      [models[1], '1', '0'],
    ]);
  });
});
