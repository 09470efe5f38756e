// What `switchyard report` reads for one job beyond its jobs row and totals: routed tokens per
// minute, the job's tenants, and quality against each model's expected mean (the running
// per-model, per-segment statistics of migration 0005). Every query filters by job id through
// an index (decisions_job_idx, outcomes_job_idx), so a report costs the same whatever else the
// database holds.
import type { Queryable } from './decisions.ts';

export interface TokensPerMinute {
  readonly model: string;
  readonly minuteStartMs: number;
  readonly tokens: number;
}

export interface JobQuality {
  /** Outcomes of the job with a reward. */
  readonly rewarded: number;
  readonly jobMeanReward: number;
  readonly perModel: readonly {
    readonly model: string;
    readonly expectedMeanReward: number | null;
    /** Tokens a request of this job costs the model's budget: the router's estimates for it in the job, else the tokens its outcomes used. */
    readonly tokensPerRequest: number | null;
  }[];
}

/** Tokens one budget rule granted one subject (model, tenant or job) over a job's windows. */
export interface BudgetGrant {
  readonly subject: string;
  readonly ruleId: string;
  readonly limitTokens: number;
}

/**
 * Tokens each budget rule granted to the given subjects over the windows the job's decisions
 * fell in (budget_usage has no index by subject: a scan, bounded by the ledger's retention).
 */
export async function readBudgetGrants(db: Queryable, jobId: string, subjects: readonly string[]): Promise<BudgetGrant[]> {
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

/** Tenants the job's decisions were made for (a job without a jobs row). */
export async function readDecisionTenants(db: Queryable, jobId: string): Promise<string[]> {
  const r = await db.query<{ tenant: string }>('SELECT DISTINCT tenant FROM switchyard.decisions WHERE job_id = $1 ORDER BY tenant', [jobId]);
  return r.rows.map((row) => row.tenant);
}

export async function readRoutedTokensPerMinute(db: Queryable, jobId: string): Promise<TokensPerMinute[]> {
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
 * The job's mean reward, and each model's expected mean on the job's segments: the per-request
 * form of switchyard.regret_by_job (migration 0007), over the models the job used (routed to
 * or executed on), not only those that executed one of its requests, so a model the router
 * chose but that has not reported yet shows as "no outcomes yet".
 */
export async function readQualityAgainstModels(db: Queryable, jobId: string): Promise<JobQuality | null> {
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
  return {
    rewarded,
    jobMeanReward: Number(job.rows[0]?.total ?? 0) / rewarded,
    perModel: r.rows.map((row) => ({
      model: row.model,
      expectedMeanReward: row.expected === null ? null : Number(row.expected),
      tokensPerRequest: row.tokens_per_request === null ? null : Number(row.tokens_per_request),
    })),
  };
}

