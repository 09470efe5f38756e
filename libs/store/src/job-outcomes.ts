// Outcomes per job, read from `switchyard.outcomes` when an outcome recorder has created it.
// The table belongs to the outcome recorder; this reads only columns named after the Outcome
// event's fields (job_id, model, quality, cost_usd, prompt_tokens, completion_tokens) and
// reports "no outcomes" when the table or one of those columns is not there.
import type { Queryable } from './decisions.ts';

export interface ModelOutcomes {
  readonly model: string;
  readonly received: number;
  readonly tokens: number;
  readonly meanQuality: number | null;
  readonly costUsd: number;
}

export interface OutcomeTotals {
  readonly received: number;
  readonly perModel: readonly ModelOutcomes[];
}

const NEEDED = ['job_id', 'model', 'quality', 'cost_usd', 'prompt_tokens', 'completion_tokens'];

export async function outcomesAvailable(db: Queryable): Promise<boolean> {
  const r = await db.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns WHERE table_schema = 'switchyard' AND table_name = 'outcomes'`,
  );
  const have = new Set(r.rows.map((row) => row.column_name));
  return NEEDED.every((c) => have.has(c));
}

/** null when no outcomes table with the expected columns exists. */
export async function outcomeTotals(db: Queryable, jobId: string): Promise<OutcomeTotals | null> {
  if (!(await outcomesAvailable(db))) return null;
  const r = await db.query<{ model: string; n: string; tokens: string | null; q: number | null; cost: number | null }>(
    `SELECT model, count(*) AS n, sum(prompt_tokens + completion_tokens) AS tokens, avg(quality) AS q, sum(cost_usd) AS cost
     FROM switchyard.outcomes WHERE job_id = $1 GROUP BY model ORDER BY model`,
    [jobId],
  );
  const perModel = r.rows.map((row) => ({
    model: row.model,
    received: Number(row.n),
    tokens: Number(row.tokens ?? 0),
    meanQuality: row.q === null ? null : Number(row.q),
    costUsd: Number(row.cost ?? 0),
  }));
  return { received: perModel.reduce((a, m) => a + m.received, 0), perModel };
}

/** How many of a job's outcomes carry a quality (reported by the executor or set by a late label). */
export async function gradedOutcomeCount(db: Queryable, jobId: string): Promise<number> {
  const r = await db.query<{ n: string }>('SELECT count(quality) AS n FROM switchyard.outcomes WHERE job_id = $1', [jobId]);
  return Number(r.rows[0]?.n ?? 0);
}

/** A job's true spend up to a moment: the cost of every outcome completed by `atMs`. */
export interface SpendPoint {
  readonly atMs: number;
  readonly cumulativeUsd: number;
}

/**
 * The job's cumulative true cost over time, one point per `bucketMs` in which outcomes with a
 * cost completed (the end of the bucket), for budget-use charts and summaries. [] when there
 * is no outcomes table.
 */
export async function readSpendOverTime(db: Queryable, jobId: string, bucketMs = 1_000): Promise<SpendPoint[]> {
  if (!(await outcomesAvailable(db))) return [];
  const r = await db.query<{ bucket: string; cost: number }>(
    `SELECT (completed_at_ms / $2::bigint) AS bucket, sum(cost_usd) AS cost
       FROM switchyard.outcomes WHERE job_id = $1 AND cost_usd IS NOT NULL
      GROUP BY 1 ORDER BY 1`,
    [jobId, Math.max(1, Math.floor(bucketMs))],
  );
  let total = 0;
  return r.rows.map((row) => {
    total += Number(row.cost);
    return { atMs: (Number(row.bucket) + 1) * bucketMs, cumulativeUsd: total };
  });
}
