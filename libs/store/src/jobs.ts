// Bulk jobs: the job row written by `switchyard submit`, and the status views read by
// `jobs` / `job <id>` (joined with the router's decisions by job id). Tables: migration
// libs/store/migrations/0004_jobs.sql.
import type { Queryable } from './decisions.ts';

/** The formats a job file can have (the CLI's sources). */
export type SourceFormat = 'jsonl' | 'csv' | 'parquet' | 'openai' | 'anthropic';

/** A line of a job file that was not submitted, and why. */
export interface BadLine {
  readonly lineNo: number;
  readonly error: string;
}

export type JobStatusKind = 'submitting' | 'submitted' | 'failed';

export interface JobRow {
  readonly jobId: string;
  readonly tenant: string;
  readonly source: string;
  readonly sourceFormat: SourceFormat;
  readonly sourceBytes: number;
  readonly topic: string;
  readonly status: JobStatusKind;
  readonly attempts: number;
  readonly linesRead: number;
  readonly linesProduced: number;
  readonly linesRejected: number;
  readonly error: string | null;
  readonly submittedAt: Date;
  readonly finishedAt: Date | null;
}

export interface NewJob {
  readonly jobId: string;
  readonly tenant: string;
  readonly source: string;
  readonly sourceFormat: SourceFormat;
  readonly sourceBytes: number;
  readonly topic: string;
  readonly submittedAtMs: number;
  /** The job's own dollar budget (the router enforces it through the dollar ledger); null for none. */
  readonly budgetUsd?: number | null;
  /** When the job should be done by (epoch ms): the routing policy spreads the budget up to it. */
  readonly deadlineMs?: number | null;
}

export type BeginJobResult =
  | { readonly kind: 'new' }
  | { readonly kind: 'resubmitting'; readonly previous: JobRow }
  | { readonly kind: 'already_submitted'; readonly previous: JobRow }
  | { readonly kind: 'conflict'; readonly previous: JobRow; readonly detail: string };

interface JobDbRow {
  job_id: string;
  tenant: string;
  source: string;
  source_format: SourceFormat;
  source_bytes: string;
  topic: string;
  status: JobStatusKind;
  attempts: number;
  lines_read: string;
  lines_produced: string;
  lines_rejected: string;
  error: string | null;
  submitted_at: Date;
  finished_at: Date | null;
}

const JOB_COLUMNS = `job_id, tenant, source, source_format, source_bytes, topic, status, attempts,
  lines_read, lines_produced, lines_rejected, error, submitted_at, finished_at`;

function toJobRow(r: JobDbRow): JobRow {
  return {
    jobId: r.job_id,
    tenant: r.tenant,
    source: r.source,
    sourceFormat: r.source_format,
    sourceBytes: Number(r.source_bytes),
    topic: r.topic,
    status: r.status,
    attempts: r.attempts,
    linesRead: Number(r.lines_read),
    linesProduced: Number(r.lines_produced),
    linesRejected: Number(r.lines_rejected),
    error: r.error,
    submittedAt: r.submitted_at,
    finishedAt: r.finished_at,
  };
}

export async function readJob(db: Queryable, jobId: string): Promise<JobRow | null> {
  const r = await db.query<JobDbRow>(`SELECT ${JOB_COLUMNS} FROM switchyard.jobs WHERE job_id = $1`, [jobId]);
  const row = r.rows[0];
  return row === undefined ? null : toJobRow(row);
}

/**
 * Records the start of a submission. A job id seen before is the same job only for the same
 * tenant and topic (anything else is a conflict); a job already fully submitted is left alone
 * unless `force`, so re-running a finished command does not send its requests again.
 */
export async function beginJob(db: Queryable, job: NewJob, force: boolean): Promise<BeginJobResult> {
  const inserted = await db.query(
    `INSERT INTO switchyard.jobs (job_id, tenant, source, source_format, source_bytes, topic, status, submitted_at, budget_usd, deadline_at)
     VALUES ($1, $2, $3, $4, $5, $6, 'submitting', to_timestamp($7::float8 / 1000.0), $8, to_timestamp($9::float8 / 1000.0))
     ON CONFLICT (job_id) DO NOTHING RETURNING job_id`,
    [job.jobId, job.tenant, job.source, job.sourceFormat, job.sourceBytes, job.topic, job.submittedAtMs, job.budgetUsd ?? null, job.deadlineMs ?? null],
  );
  if (inserted.rowCount === 1) return { kind: 'new' };
  const previous = await readJob(db, job.jobId);
  if (previous === null) return beginJob(db, job, force);
  if (previous.tenant !== job.tenant) {
    return { kind: 'conflict', previous, detail: `job ${job.jobId} belongs to tenant ${previous.tenant}, not ${job.tenant}` };
  }
  if (previous.topic !== job.topic) {
    return { kind: 'conflict', previous, detail: `job ${job.jobId} was submitted to topic ${previous.topic}, not ${job.topic}` };
  }
  if (previous.status === 'submitted' && !force) return { kind: 'already_submitted', previous };
  await db.query(
    `UPDATE switchyard.jobs SET status = 'submitting', attempts = attempts + 1, error = NULL, finished_at = NULL,
       source = $2, source_format = $3, source_bytes = $4, updated_at = now(),
       budget_usd = coalesce($5, budget_usd), deadline_at = coalesce(to_timestamp($6::float8 / 1000.0), deadline_at)
     WHERE job_id = $1`,
    [job.jobId, job.source, job.sourceFormat, job.sourceBytes, job.budgetUsd ?? null, job.deadlineMs ?? null],
  );
  await db.query('DELETE FROM switchyard.job_bad_lines WHERE job_id = $1', [job.jobId]);
  return { kind: 'resubmitting', previous };
}

export interface JobCounts {
  readonly linesRead: number;
  readonly linesProduced: number;
  readonly linesRejected: number;
}

export async function finishJob(db: Queryable, jobId: string, status: 'submitted' | 'failed', counts: JobCounts, error: string | null): Promise<void> {
  await db.query(
    `UPDATE switchyard.jobs SET status = $2, lines_read = $3, lines_produced = $4, lines_rejected = $5, error = $6,
       finished_at = now(), updated_at = now()
     WHERE job_id = $1`,
    [jobId, status, counts.linesRead, counts.linesProduced, counts.linesRejected, error],
  );
}

export async function recordBadLines(db: Queryable, jobId: string, lines: readonly BadLine[]): Promise<void> {
  if (lines.length === 0) return;
  await db.query(
    `INSERT INTO switchyard.job_bad_lines (job_id, line_no, error)
     SELECT $1, line_no, error FROM unnest($2::bigint[], $3::text[]) AS t(line_no, error)
     ON CONFLICT (job_id, line_no) DO UPDATE SET error = EXCLUDED.error`,
    [jobId, lines.map((l) => l.lineNo), lines.map((l) => l.error)],
  );
}

export async function readBadLines(db: Queryable, jobId: string, limit: number): Promise<BadLine[]> {
  const r = await db.query<{ line_no: string; error: string }>(
    'SELECT line_no, error FROM switchyard.job_bad_lines WHERE job_id = $1 ORDER BY line_no LIMIT $2',
    [jobId, limit],
  );
  return r.rows.map((row) => ({ lineNo: Number(row.line_no), error: row.error }));
}

export interface JobSummary extends JobRow {
  readonly routed: number;
  readonly deferred: number;
  readonly rejected: number;
}

export async function listJobs(db: Queryable, opts: { readonly limit: number; readonly tenant?: string | undefined }): Promise<JobSummary[]> {
  const r = await db.query<JobDbRow & { routed: string; deferred: string; rejected: string }>(
    `SELECT ${JOB_COLUMNS.split(',').map((c) => `j.${c.trim()}`).join(', ')},
       coalesce(d.routed, 0) AS routed, coalesce(d.deferred, 0) AS deferred, coalesce(d.rejected, 0) AS rejected
     FROM switchyard.jobs j
     LEFT JOIN LATERAL (
       SELECT count(*) FILTER (WHERE outcome = 'routed') AS routed,
              count(*) FILTER (WHERE outcome = 'deferred') AS deferred,
              count(*) FILTER (WHERE outcome = 'rejected') AS rejected
       FROM switchyard.decisions WHERE job_id = j.job_id) d ON true
     WHERE ($2::text IS NULL OR j.tenant = $2)
     ORDER BY j.submitted_at DESC, j.job_id
     LIMIT $1`,
    [opts.limit, opts.tenant ?? null],
  );
  return r.rows.map((row) => ({ ...toJobRow(row), routed: Number(row.routed), deferred: Number(row.deferred), rejected: Number(row.rejected) }));
}

export interface ModelDecisions {
  readonly model: string;
  readonly requests: number;
  readonly estimatedTokens: number;
  readonly batches: number;
  readonly meanPredictedQuality: number | null;
  readonly predictedCostUsd: number;
}

export interface DecisionTotals {
  readonly routed: number;
  readonly deferred: number;
  readonly rejected: number;
  readonly rejectedByReason: Readonly<Record<string, number>>;
  readonly perModel: readonly ModelDecisions[];
}

/** Decisions of one job from the router's table (one row per validated request). */
export async function decisionTotals(db: Queryable, jobId: string): Promise<DecisionTotals> {
  const byOutcome = await db.query<{ outcome: string; reason: string | null; n: string }>(
    `SELECT outcome, CASE WHEN outcome = 'rejected' THEN reason END AS reason, count(*) AS n
     FROM switchyard.decisions WHERE job_id = $1 GROUP BY 1, 2`,
    [jobId],
  );
  let routed = 0;
  let deferred = 0;
  let rejected = 0;
  const rejectedByReason: Record<string, number> = {};
  for (const row of byOutcome.rows) {
    const n = Number(row.n);
    if (row.outcome === 'routed') routed += n;
    else if (row.outcome === 'deferred') deferred += n;
    else {
      rejected += n;
      const reason = row.reason ?? 'unknown';
      rejectedByReason[reason] = (rejectedByReason[reason] ?? 0) + n;
    }
  }
  const perModel = await db.query<{ model: string; n: string; tokens: string | null; batches: string; q: number | null; cost: number | null }>(
    `SELECT model, count(*) AS n, sum(estimated_tokens) AS tokens, count(DISTINCT batch_id) AS batches,
       avg(predicted_quality) AS q, sum(predicted_cost_usd) AS cost
     FROM switchyard.decisions WHERE job_id = $1 AND outcome = 'routed'
     GROUP BY model ORDER BY model`,
    [jobId],
  );
  return {
    routed,
    deferred,
    rejected,
    rejectedByReason,
    perModel: perModel.rows.map((r) => ({
      model: r.model,
      requests: Number(r.n),
      estimatedTokens: Number(r.tokens ?? 0),
      batches: Number(r.batches),
      meanPredictedQuality: r.q === null ? null : Number(r.q),
      predictedCostUsd: Number(r.cost ?? 0),
    })),
  };
}

/**
 * Per job, the requests the router has decided for good (routed or rejected; a deferred request
 * is still to come), over every instance: what pacing a job's dollar budget counts as done.
 */
export async function countDecidedRequests(db: Queryable, jobIds: readonly string[]): Promise<Map<string, number>> {
  if (jobIds.length === 0) return new Map();
  const r = await db.query<{ job_id: string; n: string }>(
    `SELECT job_id, count(*) FILTER (WHERE outcome <> 'deferred') AS n FROM switchyard.decisions WHERE job_id = ANY($1::text[]) GROUP BY job_id`,
    [[...new Set(jobIds)]],
  );
  return new Map(r.rows.map((row) => [row.job_id, Number(row.n)]));
}
