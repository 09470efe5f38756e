// How far a job is: of the requests submit sent, how many have finished, that is have an
// answer or a final error. A request finishes when
//   - an executor reported its outcome (switchyard.outcomes; a failed call is an outcome with
//     an error), or a result row holds its answer (switchyard.results, when that table exists), or
//   - the router rejected it (switchyard.decisions, outcome 'rejected': no model can take it).
// Each request counts once, whichever of these it has; it succeeded when any of them says so
// (an outcome that failed and a later retry that succeeded is a success). Dead-lettered
// requests (invalid for the router, e.g. a model outside the pool) are in the dead-letter
// topic, not in Postgres, so they stay "unaccounted": a job with dead letters does not reach
// `completed`, and the command says where to look.
import type { Queryable } from '@switchyard/store';

export interface JobProgress {
  /** Requests submit sent (Kafka acknowledged). */
  readonly sent: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Sent, not finished yet: still being routed or executed, or dead-lettered. */
  readonly unfinished: number;
  /** Every sent request has finished (and the submission itself is over). */
  readonly completed: boolean;
}

export interface FinishedCounts {
  readonly succeeded: number;
  readonly failed: number;
}

/** Pure: progress from the counts. A submission still running or failed is never complete. */
export function progressOf(sent: number, submission: 'submitting' | 'submitted' | 'failed', finished: FinishedCounts): JobProgress {
  const done = finished.succeeded + finished.failed;
  return {
    sent,
    succeeded: finished.succeeded,
    failed: finished.failed,
    unfinished: Math.max(0, sent - done),
    completed: submission === 'submitted' && done >= sent,
  };
}

async function tableHasColumns(db: Queryable, table: string, columns: readonly string[]): Promise<boolean> {
  const r = await db.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns WHERE table_schema = 'switchyard' AND table_name = $1`,
    [table],
  );
  const have = new Set(r.rows.map((row) => row.column_name));
  return columns.every((c) => have.has(c));
}

/** The tables that say a request finished, as SELECTs of (request_id, ok) for job $1. */
export async function finishedSources(db: Queryable): Promise<readonly string[]> {
  const sources = [`SELECT request_id, false AS ok FROM switchyard.decisions WHERE job_id = $1 AND outcome = 'rejected'`];
  if (await tableHasColumns(db, 'outcomes', ['request_id', 'job_id', 'error'])) {
    sources.push('SELECT request_id, error IS NULL AS ok FROM switchyard.outcomes WHERE job_id = $1');
  }
  if (await tableHasColumns(db, 'results', ['request_id', 'job_id', 'error'])) {
    sources.push('SELECT request_id, error IS NULL AS ok FROM switchyard.results WHERE job_id = $1');
  }
  return sources;
}

/**
 * Succeeded and failed requests of a job; each source filters by job id through its index.
 * `sources` (from finishedSources) can be looked up once for many jobs.
 */
export async function finishedCounts(db: Queryable, jobId: string, sources?: readonly string[]): Promise<FinishedCounts> {
  const from = sources ?? (await finishedSources(db));
  const r = await db.query<{ succeeded: string; failed: string }>(
    `SELECT count(*) FILTER (WHERE ok) AS succeeded, count(*) FILTER (WHERE NOT ok) AS failed
     FROM (SELECT request_id, bool_or(ok) AS ok FROM (${from.join(' UNION ALL ')}) s GROUP BY request_id) per_request`,
    [jobId],
  );
  return { succeeded: Number(r.rows[0]?.succeeded ?? 0), failed: Number(r.rows[0]?.failed ?? 0) };
}
