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
  readonly perModel: readonly { readonly model: string; readonly expectedMeanReward: number | null }[];
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
  const r = await db.query<{ model: string; expected: number | null }>(
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
     )
     SELECT jm.model,
       (sum(js.n * coalesce(s.mean_reward, a.mean_reward)) / sum(js.n))::float8 AS expected
     FROM job_models jm
     CROSS JOIN job_segments js
     LEFT JOIN means a ON a.model = jm.model AND a.segment = '*'
     LEFT JOIN means s ON s.model = jm.model AND s.segment = js.segment
     GROUP BY jm.model
     ORDER BY jm.model`,
    [jobId],
  );
  return {
    rewarded,
    jobMeanReward: Number(job.rows[0]?.total ?? 0) / rewarded,
    perModel: r.rows.map((row) => ({ model: row.model, expectedMeanReward: row.expected === null ? null : Number(row.expected) })),
  };
}

