// Reads one job's report data from Postgres: the jobs row, the router's decisions and the
// recorded outcomes (with the running per-model, per-segment statistics of migration 0005).
// Every query filters by job id through an index (decisions_job_idx, outcomes_job_idx), so a
// report costs the same whatever else the database holds.
import type { Queryable } from '@switchyard/store';
import { CliError } from '../errors.ts';
import { decisionTotals, readJob } from '../jobs-store.ts';
import { outcomeTotals } from '../outcomes.ts';
import { budgetFor, compareUnderBudget } from './compare.ts';
import type { BudgetGrant } from './compare.ts';
import type { ReportData, ReportModel, ReportQuality, ReportTokenBucket } from './data.ts';

async function tokensPerMinute(db: Queryable, jobId: string): Promise<ReportTokenBucket[]> {
  const r = await db.query<{ model: string; minute_ms: string; tokens: string | null }>(
    `SELECT model, (extract(epoch FROM date_trunc('minute', decided_at)) * 1000)::bigint AS minute_ms,
       sum(estimated_tokens) AS tokens
     FROM switchyard.decisions WHERE job_id = $1 AND outcome = 'routed'
     GROUP BY 1, 2 ORDER BY 2, 1`,
    [jobId],
  );
  return r.rows.map((row) => ({ model: row.model, minuteStartMs: Number(row.minute_ms), tokens: Number(row.tokens ?? 0) }));
}

/**
 * Tokens each budget rule granted to the given subjects over the windows the job's decisions
 * fell in (budget_usage has no index by subject: a scan, bounded by the ledger's retention).
 */
async function budgetGrants(db: Queryable, jobId: string, subjects: readonly string[]): Promise<BudgetGrant[]> {
  const r = await db.query<{ subject: string; rule_id: string; limit_tokens: string }>(
    `WITH span AS (
       SELECT (extract(epoch FROM min(decided_at)) * 1000)::bigint AS lo, (extract(epoch FROM max(decided_at)) * 1000)::bigint AS hi
       FROM switchyard.decisions WHERE job_id = $1
     )
     SELECT b.subject, b.rule_id, sum(b.limit_tokens) AS limit_tokens
     FROM switchyard.budget_usage b CROSS JOIN span
     WHERE b.subject = ANY($2::text[]) AND b.window_start_ms <= span.hi AND b.window_start_ms + b.window_ms > span.lo
     GROUP BY 1, 2`,
    [jobId, [...subjects]],
  );
  return r.rows.map((row) => ({ subject: row.subject, ruleId: row.rule_id, limitTokens: Number(row.limit_tokens) }));
}

/**
 * The job's mean reward, and each model's expected mean on the job's segments: the per-request
 * form of switchyard.regret_by_job (migration 0007), over the models the job used (routed to
 * or executed on), not only those that executed one of its requests, so a model the router
 * chose but that has not reported yet shows as "no outcomes yet". Each model is then held to
 * the job's budget (compare.ts): its tokens per request are the router's estimates for it in
 * this job (else the tokens its outcomes used).
 */
async function qualityAgainstModels(db: Queryable, jobId: string, tenants: readonly string[], rejected: number): Promise<ReportQuality | null> {
  const job = await db.query<{ n: string; total: number | null }>(
    'SELECT count(reward) AS n, sum(reward) AS total FROM switchyard.outcomes WHERE job_id = $1',
    [jobId],
  );
  const rewarded = Number(job.rows[0]?.n ?? 0);
  if (rewarded === 0) return null;
  const r = await db.query<{ model: string; expected: number | null; tokens_per_request: number | null }>(
    `WITH job_segments AS (
       SELECT coalesce(segment, '*') AS segment, count(reward) AS n
       FROM switchyard.outcomes WHERE job_id = $1 AND reward IS NOT NULL
       GROUP BY 1
     ),
     job_models AS (
       SELECT model FROM switchyard.outcomes WHERE job_id = $1
       UNION
       SELECT model FROM switchyard.decisions WHERE job_id = $1 AND model IS NOT NULL
     ),
     means AS (
       SELECT model, segment, (sum_reward / n_reward)::float8 AS mean_reward
       FROM switchyard.outcome_stats
       WHERE n_reward > 0 AND model IN (SELECT model FROM job_models)
     ),
     per_request AS (
       SELECT jm.model,
         (SELECT avg(estimated_tokens)::float8 FROM switchyard.decisions d WHERE d.job_id = $1 AND d.model = jm.model AND d.outcome = 'routed') AS estimated,
         (SELECT avg(prompt_tokens + completion_tokens)::float8 FROM switchyard.outcomes o WHERE o.job_id = $1 AND o.model = jm.model) AS used
       FROM job_models jm
     )
     SELECT jm.model,
       (sum(js.n * coalesce(s.mean_reward, a.mean_reward)) / sum(js.n))::float8 AS expected,
       min(coalesce(pr.estimated, pr.used)) AS tokens_per_request
     FROM job_models jm
     CROSS JOIN job_segments js
     JOIN per_request pr ON pr.model = jm.model
     LEFT JOIN means a ON a.model = jm.model AND a.segment = '*'
     LEFT JOIN means s ON s.model = jm.model AND s.segment = js.segment
     GROUP BY jm.model
     ORDER BY jm.model`,
    [jobId],
  );
  const shared = [jobId, ...tenants];
  const grants = await budgetGrants(db, jobId, [...r.rows.map((row) => row.model), ...shared]);
  const requests = rewarded + rejected;
  const total = Number(job.rows[0]?.total ?? 0);
  const compared = compareUnderBudget(
    requests,
    r.rows.map((row) => ({
      model: row.model,
      expectedMeanReward: row.expected === null ? null : Number(row.expected),
      tokensPerRequest: row.tokens_per_request === null ? null : Number(row.tokens_per_request),
      budgetTokens: budgetFor(row.model, shared, grants),
    })),
  );
  return {
    rewarded,
    jobMeanReward: total / rewarded,
    requests,
    jobMeanOverRequests: total / requests,
    perModel: compared.map((c) => ({ model: c.model, expectedMeanReward: c.expectedMeanReward, servedRequests: c.servedRequests, meanOverRequests: c.meanOverRequests })),
  };
}

/**
 * Everything `switchyard report` shows for one job. Throws CliError('not_found') when the id
 * has neither a jobs row nor decisions.
 */
export async function loadReportData(db: Queryable, jobId: string, nowMs: number = Date.now()): Promise<ReportData> {
  const job = await readJob(db, jobId);
  const decisions = await decisionTotals(db, jobId);
  const decided = decisions.routed + decisions.deferred + decisions.rejected;
  if (job === null && decided === 0) throw new CliError('not_found', `no job ${jobId} (switchyard jobs lists them)`);
  const tenants =
    job === null
      ? (await db.query<{ tenant: string }>('SELECT DISTINCT tenant FROM switchyard.decisions WHERE job_id = $1 ORDER BY tenant', [jobId])).rows.map((r) => r.tenant)
      : [job.tenant];
  const outcomes = await outcomeTotals(db, jobId);

  const byModel = new Map<string, ReportModel>();
  for (const d of decisions.perModel) {
    byModel.set(d.model, {
      model: d.model,
      requests: d.requests,
      estimatedTokens: d.estimatedTokens,
      meanPredictedQuality: d.meanPredictedQuality,
      predictedCostUsd: d.predictedCostUsd,
      outcomes: 0,
      actualTokens: 0,
      meanQuality: null,
      costUsd: null,
    });
  }
  for (const o of outcomes?.perModel ?? []) {
    const base = byModel.get(o.model) ?? { model: o.model, requests: 0, estimatedTokens: 0, meanPredictedQuality: null, predictedCostUsd: 0 };
    byModel.set(o.model, { ...base, outcomes: o.received, actualTokens: o.tokens, meanQuality: o.meanQuality, costUsd: o.costUsd });
  }
  const models = [...byModel.values()].sort((a, b) => (a.model < b.model ? -1 : a.model > b.model ? 1 : 0));

  return {
    jobId,
    generatedAtMs: nowMs,
    job:
      job === null
        ? null
        : {
            tenant: job.tenant,
            source: job.source,
            status: job.status,
            submittedAtMs: job.submittedAt.getTime(),
            linesRead: job.linesRead,
            linesProduced: job.linesProduced,
            linesRejected: job.linesRejected,
          },
    tenants,
    routed: decisions.routed,
    deferred: decisions.deferred,
    rejected: decisions.rejected,
    models,
    tokensPerMinute: await tokensPerMinute(db, jobId),
    // null outcomes: no outcomes table in this database (no outcome recorder has run).
    quality: outcomes === null ? null : await qualityAgainstModels(db, jobId, tenants, decisions.rejected),
  };
}
