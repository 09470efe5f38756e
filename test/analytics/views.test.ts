// The analysts' views on the real database: every example query of docs/analytics.md is parsed
// out of the document and run as the analyst role against data seeded through the store's own
// writers (recordDecisions, recordOutcomes), and a few results are checked against values
// computed here from the seed. The analyst reads every view and cannot write.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, recordDecisions, recordOutcomes } from '@switchyard/store';
import type { DecisionRecord, OutcomeRecord, Pool } from '@switchyard/store';
import { stack, uniqueName, withClient } from '../support/index.ts';

const info = stack();
const roleEnforced = info.postgresKind !== 'embedded';
const VIEWS = ['routing_outcomes', 'decisions_daily', 'outcomes_daily', 'model_performance', 'cost_quality_by_job', 'budget_use', 'regret_by_job', 'feedback_residuals', 'feedback_by_minute'];

/** The ```sql blocks of a Markdown document, in order. */
function sqlExamples(markdown: string): string[] {
  return [...markdown.matchAll(/^```sql\n([\s\S]*?)^```/gm)].map((m) => m[1]!.trim());
}

/** Replaces psql's :'name' interpolation with quoted literals (the values here are plain). */
function bind(sql: string, vars: Readonly<Record<string, string>>): string {
  return sql.replace(/:'([a-z_]+)'/g, (_, name: string) => {
    const v = vars[name];
    if (v === undefined) throw new Error(`example uses :'${name}', which the test does not set`);
    return `'${v.replace(/'/g, "''")}'`;
  });
}

describe('analytics views and docs/analytics.md', () => {
  const prefix = uniqueName('an');
  const jobId = `${prefix}-job`;
  const tenant = `${prefix}-tenant`;
  const models = [`${prefix}-m0`, `${prefix}-m1`, `${prefix}-m2`];
  const now = Date.now();
  const day = new Date(now).toISOString().slice(0, 10);
  let pool: Pool;
  const outcomes: OutcomeRecord[] = [];

  // Per (model, segment): outcomes and how many of them succeed (quality 1, else 0).
  const plan: { model: number; segment: string; n: number; good: number }[] = [
    { model: 0, segment: 'sa', n: 10, good: 8 },
    { model: 1, segment: 'sa', n: 10, good: 3 },
    { model: 2, segment: 'sb', n: 15, good: 12 },
    { model: 0, segment: 'sb', n: 10, good: 4 },
  ];
  const waiting = 5;

  beforeAll(async () => {
    pool = createPool({ url: info.postgresUrl, poolMax: 2 });
    const decisions: DecisionRecord[] = [];
    const decision = (i: number, extra: Partial<DecisionRecord>): DecisionRecord => ({
      requestId: `${prefix}-r${i}`,
      jobId,
      tenant,
      outcome: 'routed',
      model: null,
      batchId: null,
      fallbackRank: 0,
      promptTokens: 20,
      estimatedTokens: 60,
      predictedQuality: 0.6,
      predictedCostUsd: 0.001,
      score: 0.5,
      dualPrice: 0,
      scores: [0.5, 0.4, 0.3],
      reason: null,
      deferUntilMs: null,
      deferrals: 0,
      policy: 'resolving-dual',
      routerInstance: 'r1',
      sourceTopic: `${prefix}.requests`,
      sourcePartition: 0,
      sourceOffset: String(i),
      decidedAtMs: now - 1_000,
      ...extra,
    });
    let i = 0;
    for (const p of plan) {
      for (let k = 0; k < p.n; k++, i++) {
        const model = models[p.model]!;
        // Model 0's decisions carry feedback features: a raw cost estimate of half what it costs.
        const features = p.model === 0 ? { embedding: new Uint8Array(8), rawQuality: 0.5, rawCostUsd: 0.0005, rawOutputTokens: 30 } : null;
        decisions.push(decision(i, { model, batchId: `${prefix}-b${p.model}`, fallbackRank: k === 0 ? 1 : 0, features }));
        outcomes.push({
          requestId: `${prefix}-r${i}`,
          jobId,
          tenant,
          model,
          batchId: `${prefix}-b${p.model}`,
          segment: p.segment,
          quality: k < p.good ? 1 : 0,
          success: null,
          promptTokens: 20,
          completionTokens: 30 + p.model,
          latencyMs: 100 * (p.model + 1),
          error: null,
          costUsd: 0.001 * (p.model + 1),
          costSource: 'reported',
          completedAtMs: now,
          sourceTopic: `${prefix}.outcomes`,
          sourcePartition: 0,
          sourceOffset: String(i),
        });
      }
    }
    for (let k = 0; k < waiting; k++, i++) decisions.push(decision(i, { model: models[1]!, batchId: `${prefix}-b1` }));
    decisions.push(decision(i++, { outcome: 'deferred', reason: 'budget_exhausted', deferUntilMs: now + 60_000, estimatedTokens: null, fallbackRank: null }));
    decisions.push(decision(i++, { outcome: 'rejected', reason: 'no_feasible_model', estimatedTokens: null, fallbackRank: null }));
    await recordDecisions(pool, decisions);
    // Another job's model, better than all of ours: it must not be this job's best in hindsight.
    const other = Array.from({ length: 5 }, (_, k): OutcomeRecord => ({ ...outcomes[0]!, requestId: `${prefix}-x${k}`, jobId: `${prefix}-other-job`, model: `${prefix}-mx`, quality: 1 }));
    await recordOutcomes(pool, [...outcomes, ...other]);
    const minute = Math.floor(now / 60_000) * 60_000;
    await pool.query(
      `INSERT INTO switchyard.budget_usage (rule_id, subject, window_start_ms, window_ms, limit_tokens, used_tokens)
       VALUES ($1, $2, $3, 60000, 10000, 7500), ($4, $5, $3, 60000, 5000, 1000)`,
      [`model:${models[0]}:minute`, models[0], minute, `tenant:${tenant}:minute`, tenant],
    );
  });

  afterAll(async () => {
    await pool.query('DELETE FROM switchyard.outcomes WHERE job_id LIKE $1', [`${prefix}%`]);
    await pool.query('DELETE FROM switchyard.outcome_stats WHERE model LIKE $1', [`${prefix}%`]);
    await pool.query('DELETE FROM switchyard.outcome_daily WHERE job_id LIKE $1', [`${prefix}%`]);
    await pool.query('DELETE FROM switchyard.decisions WHERE job_id = $1', [jobId]);
    await pool.query('DELETE FROM switchyard.budget_usage WHERE rule_id LIKE $1', [`%${prefix}%`]);
    await pool.end();
  });

  it('runs every example query of the document as the analyst, each returning rows', async () => {
    const doc = await readFile(new URL('../../docs/analytics.md', import.meta.url), 'utf8');
    const examples = sqlExamples(doc);
    expect(examples.length).toBeGreaterThanOrEqual(10);
    const vars = { job_id: jobId, tenant, day };
    await withClient(info.analystUrl, async (c) => {
      for (const sql of examples) {
        expect(sql, 'examples only read').toMatch(/^SELECT\b/i);
        const res = await c.query(bind(sql, vars)).catch((e: unknown) => {
          throw new Error(`example failed: ${(e as Error).message}\n${sql}`);
        });
        expect(res.rows.length, sql).toBeGreaterThan(0);
      }
    });
  });

  it('gives the seeded numbers back through the views', async () => {
    await withClient(info.analystUrl, async (c) => {
      const byModel = await c.query('SELECT model, executed, mean_reward, cost_usd FROM switchyard.cost_quality_by_job WHERE job_id = $1 ORDER BY model', [jobId]);
      const expected = models.map((m, idx) => {
        const rows = plan.filter((p) => p.model === idx);
        const n = rows.reduce((s, p) => s + p.n, 0);
        return { model: m, executed: String(n), mean_reward: rows.reduce((s, p) => s + p.good, 0) / n, cost_usd: n * 0.001 * (idx + 1) };
      });
      expect(byModel.rows.map((r) => ({ ...r, cost_usd: Number(r.cost_usd.toFixed(9)) }))).toEqual(expected.map((e) => ({ ...e, cost_usd: Number(e.cost_usd.toFixed(9)) })));

      const lag = await c.query("SELECT count(*)::int AS n FROM switchyard.routing_outcomes WHERE job_id = $1 AND decision = 'routed' AND NOT executed", [jobId]);
      expect(lag.rows[0].n).toBe(waiting);
      const kinds = await c.query('SELECT decision, sum(requests)::int AS n FROM switchyard.decisions_daily WHERE job_id = $1 GROUP BY decision ORDER BY decision', [jobId]);
      expect(kinds.rows).toEqual([
        { decision: 'deferred', n: 1 },
        { decision: 'rejected', n: 1 },
        { decision: 'routed', n: outcomes.length + waiting },
      ]);

      // Regret, computed here: each model's expected reward on the job uses its mean in each
      // segment, or its overall mean where it has none.
      const mean = (model: number, segment: string | null): number | undefined => {
        const rows = plan.filter((p) => p.model === model && (segment === null || p.segment === segment));
        const n = rows.reduce((s, p) => s + p.n, 0);
        return n === 0 ? undefined : rows.reduce((s, p) => s + p.good, 0) / n;
      };
      const perSegment = ['sa', 'sb'].map((s) => ({ segment: s, n: plan.filter((p) => p.segment === s).reduce((a, p) => a + p.n, 0) }));
      const expectedByModel = models.map((_, m) => perSegment.reduce((sum, s) => sum + s.n * (mean(m, s.segment) ?? mean(m, null)!), 0));
      const best = Math.max(...expectedByModel);
      const realized = plan.reduce((s, p) => s + p.good, 0);
      const regret = await c.query('SELECT best_model, best_expected_reward, realized_reward, regret, rewarded FROM switchyard.regret_by_job WHERE job_id = $1', [jobId]);
      expect(regret.rows).toHaveLength(1);
      const r = regret.rows[0];
      expect(r.best_model).toBe(models[expectedByModel.indexOf(best)]);
      expect(Number(r.best_expected_reward)).toBeCloseTo(best, 9);
      expect(Number(r.realized_reward)).toBeCloseTo(realized, 9);
      expect(Number(r.regret)).toBeCloseTo(best - realized, 9);
      expect(Number(r.rewarded)).toBe(outcomes.length);

      const budget = await c.query('SELECT scope, window_kind, utilisation FROM switchyard.budget_use WHERE rule_id = $1', [`model:${models[0]}:minute`]);
      expect(budget.rows).toEqual([{ scope: 'model', window_kind: 'minute', utilisation: 0.75 }]);

      const perf = await c.query("SELECT executed::int, mean_reward, reward_stddev FROM switchyard.model_performance WHERE model = $1 AND segment = 'sa'", [models[0]]);
      // Ten 0/1 rewards with eight ones: mean 0.8, sample variance (8 - 6.4) / 9.
      expect(perf.rows[0].executed).toBe(10);
      expect(perf.rows[0].mean_reward).toBeCloseTo(0.8, 12);
      expect(perf.rows[0].reward_stddev).toBeCloseTo(Math.sqrt(1.6 / 9), 12);
    });
  });

  it('gives per model and minute the quality residual and the cost ratios against the raw and the used estimates', async () => {
    await withClient(info.analystUrl, async (c) => {
      const rows = await c.query(
        'SELECT model, outcomes::int, mean_quality_residual, cost_ratio, used_cost_ratio, mean_used_quality_residual FROM switchyard.feedback_by_minute WHERE job_id = $1 ORDER BY model',
        [jobId],
      );
      // Every outcome completed at the same instant: one minute per model.
      expect(rows.rows.map((r) => r.model)).toEqual(models);
      const [m0, m1] = rows.rows;
      const good0 = plan.filter((p) => p.model === 0).reduce((a, p) => a + p.good, 0);
      const n0 = plan.filter((p) => p.model === 0).reduce((a, p) => a + p.n, 0);
      expect(m0.outcomes).toBe(n0);
      expect(m0.mean_quality_residual).toBeCloseTo(good0 / n0 - 0.5, 12);
      expect(m0.mean_used_quality_residual).toBeCloseTo(good0 / n0 - 0.6, 12);
      // Observed 0.001 against a raw estimate of 0.0005 and a used estimate of 0.001.
      expect(m0.cost_ratio).toBeCloseTo(2, 12);
      expect(m0.used_cost_ratio).toBeCloseTo(1, 12);
      // Without features (feedback off) only the used estimates compare.
      expect(m1.mean_quality_residual).toBeNull();
      expect(m1.cost_ratio).toBeNull();
      expect(m1.used_cost_ratio).toBeCloseTo(2, 12);
    });
  });

  it('serves the per-job and per-day filters from indexes', async () => {
    // Seq scans are priced out so the plan shows whether an index can answer the filter at all
    // (with a few test rows the planner would rightly scan); a dropped index shows up here.
    await withClient(info.analystUrl, async (c) => {
      await c.query('SET enable_seqscan = off');
      const plan = async (sql: string): Promise<string> => (await c.query(`EXPLAIN ${sql}`)).rows.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN']).join('\n');
      expect(await plan(`SELECT * FROM switchyard.routing_outcomes WHERE job_id = '${jobId}'`)).toMatch(/decisions_job_idx/);
      expect(await plan(`SELECT * FROM switchyard.decisions_daily WHERE day = '${day}'::date`)).toMatch(/decisions_day_idx/);
      expect(await plan(`SELECT * FROM switchyard.decisions_daily WHERE tenant = '${tenant}' AND day = '${day}'::date`)).toMatch(/decisions_tenant_day_idx/);
      expect(await plan(`SELECT * FROM switchyard.regret_by_job WHERE job_id = '${jobId}'`)).toMatch(/outcomes_job_idx/);
    });
  });

  it.skipIf(!roleEnforced)('lets the analyst read every view and write nothing', async () => {
    await withClient(info.analystUrl, async (c) => {
      for (const v of VIEWS) await c.query(`SELECT * FROM switchyard.${v} LIMIT 1`);
      const attempts = [
        `INSERT INTO switchyard.outcome_stats (model, segment) VALUES ('${prefix}-x', '*')`,
        `UPDATE switchyard.outcomes SET quality = 0 WHERE job_id = '${jobId}'`,
        `DELETE FROM switchyard.decisions WHERE job_id = '${jobId}'`,
        `UPDATE switchyard.budget_use SET used_tokens = 0 WHERE subject = '${tenant}'`,
        'CREATE TABLE switchyard.analyst_scratch (id int)',
      ];
      for (const sql of attempts) {
        // Run each with the read-only default lifted, so the grants themselves are what refuses.
        const error = await c.query('BEGIN READ WRITE').then(() => c.query(sql)).then(() => null, (e: unknown) => e);
        await c.query('ROLLBACK');
        expect(error, sql).toMatchObject({ code: '42501' });
      }
    });
  });
});
