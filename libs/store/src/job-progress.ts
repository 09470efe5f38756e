// Which of a job's requests have finished: an answer or a final error. A request finishes when
// an executor reported its outcome (switchyard.outcomes, migration 0005; a failed call is an
// outcome with an error), when a result row holds its answer (switchyard.results, migration
// 0010), or when the router rejected it (switchyard.decisions, outcome 'rejected'). Each
// request counts once whichever of these it has, and succeeded when any of them says so. Each
// branch filters by job id through its index (decisions_job_idx, outcomes_job_idx,
// results_job_custom_idx).
import type { Queryable } from './decisions.ts';

export interface FinishedCounts {
  readonly succeeded: number;
  readonly failed: number;
}

const FINISHED_SQL = `SELECT count(*) FILTER (WHERE ok) AS succeeded, count(*) FILTER (WHERE NOT ok) AS failed
  FROM (
    SELECT request_id, bool_or(ok) AS ok FROM (
      SELECT request_id, false AS ok FROM switchyard.decisions WHERE job_id = $1 AND outcome = 'rejected'
      UNION ALL
      SELECT request_id, error IS NULL AS ok FROM switchyard.outcomes WHERE job_id = $1
      UNION ALL
      SELECT request_id, error IS NULL AS ok FROM switchyard.results WHERE job_id = $1
    ) s GROUP BY request_id
  ) per_request`;

/** Succeeded and failed requests of a job. */
export async function finishedCounts(db: Queryable, jobId: string): Promise<FinishedCounts> {
  const r = await db.query<{ succeeded: string; failed: string }>(FINISHED_SQL, [jobId]);
  return { succeeded: Number(r.rows[0]?.succeeded ?? 0), failed: Number(r.rows[0]?.failed ?? 0) };
}
