// Answers handed back to submitters (switchyard.results): written first-write-wins by request
// id in the outcome recorder's transaction, read per job with keyset pagination so a job of
// any size streams in bounded memory.
import type { Queryable } from './decisions.ts';
import type { OutcomeRecord } from './outcomes.ts';
import { asStoreError } from './decisions.ts';

export interface ResultRecord {
  readonly requestId: string;
  readonly jobId: string;
  readonly customId: string | null;
  readonly model: string;
  readonly statusCode: number | null;
  /** Response body as JSON text; null when none arrived. */
  readonly response: string | null;
  readonly error: string | null;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly costUsd: number | null;
  readonly latencyMs: number;
  readonly completedAtMs: number;
}

const INSERT = `
  INSERT INTO switchyard.results (request_id, job_id, custom_id, model, status_code, response,
    error, prompt_tokens, completion_tokens, cost_usd, latency_ms, completed_at)
  SELECT request_id, job_id, custom_id, model, status_code, response::jsonb, error,
    prompt_tokens, completion_tokens, cost_usd, latency_ms, to_timestamp(completed_at_ms / 1000.0)
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[],
    $8::int[], $9::int[], $10::float8[], $11::bigint[], $12::bigint[])
    AS r(request_id, job_id, custom_id, model, status_code, response, error, prompt_tokens,
      completion_tokens, cost_usd, latency_ms, completed_at_ms)
  ORDER BY request_id
  ON CONFLICT (request_id) DO NOTHING
  RETURNING request_id`;

/** The first record per request id, in arrival order: the one first-write-wins keeps. Pure. */
export function firstPerRequest(rows: readonly ResultRecord[]): ResultRecord[] {
  const seen = new Set<string>();
  return rows.filter((r) => (seen.has(r.requestId) ? false : (seen.add(r.requestId), true)));
}

/**
 * The response as text Postgres accepts as jsonb, or null: an executor in another language may
 * send a body that is not JSON, and jsonb refuses \u0000; one bad body must not block the
 * recorder's transaction forever.
 */
export function storableJson(text: string | null): string | null {
  if (text === null) return null;
  try {
    return JSON.stringify(JSON.parse(text, (_k, v: unknown) => (typeof v === 'string' ? v.replaceAll('\u0000', '') : v)));
  } catch {
    return null;
  }
}

/**
 * Inserts results; a request id already stored keeps its row (first write wins). Meant to run
 * inside the caller's transaction (`db` a client in BEGIN). Returns how many rows were new.
 */
export async function insertResults(db: Queryable, rows: readonly ResultRecord[]): Promise<number> {
  const first = firstPerRequest(rows);
  if (first.length === 0) return 0;
  const col = <T>(f: (r: ResultRecord) => T): T[] => first.map(f);
  const finite = (v: number | null): number | null => (v !== null && Number.isFinite(v) ? v : null);
  const res = await db.query<{ request_id: string }>(INSERT, [
    col((r) => r.requestId), col((r) => r.jobId), col((r) => r.customId), col((r) => r.model),
    col((r) => r.statusCode), col((r) => storableJson(r.response)), col((r) => r.error), col((r) => r.promptTokens),
    col((r) => r.completionTokens), col((r) => finite(r.costUsd)), col((r) => r.latencyMs), col((r) => r.completedAtMs),
  ]);
  return res.rowCount ?? res.rows.length;
}

export interface StoredResult {
  readonly requestId: string;
  readonly customId: string | null;
  readonly model: string;
  readonly statusCode: number | null;
  /** Parsed response body (pg returns jsonb parsed). */
  readonly response: unknown;
  readonly error: string | null;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly costUsd: number | null;
  readonly latencyMs: number;
}

/** Where the next page starts: the last row of the previous one. */
export interface ResultsCursor {
  readonly customId: string | null;
  readonly requestId: string;
}

interface ResultRow {
  request_id: string;
  custom_id: string | null;
  model: string;
  status_code: number | null;
  response: unknown;
  error: string | null;
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: number | null;
  latency_ms: string;
}

// Keyset pagination in (custom_id, request_id) order, rows without a custom_id (native
// requests) first. Both halves walk the (job_id, custom_id, request_id) index.
const WITHOUT_CUSTOM_ID = `SELECT request_id, custom_id, model, status_code, response, error,
    prompt_tokens, completion_tokens, cost_usd, latency_ms
  FROM switchyard.results WHERE job_id = $1 AND custom_id IS NULL AND request_id > $2
  ORDER BY request_id LIMIT $3`;
const WITH_CUSTOM_ID = `SELECT request_id, custom_id, model, status_code, response, error,
    prompt_tokens, completion_tokens, cost_usd, latency_ms
  FROM switchyard.results WHERE job_id = $1 AND custom_id IS NOT NULL AND (custom_id, request_id) > ($2, $3)
  ORDER BY custom_id, request_id LIMIT $4`;

/** One page of a job's results after `after` (null: from the start), at most `limit` rows. */
export async function readResultsPage(db: Queryable, jobId: string, after: ResultsCursor | null, limit: number): Promise<StoredResult[]> {
  const rows: ResultRow[] = [];
  try {
    if (after === null || after.customId === null) {
      rows.push(...(await db.query<ResultRow>(WITHOUT_CUSTOM_ID, [jobId, after?.requestId ?? '', limit])).rows);
      if (rows.length < limit) rows.push(...(await db.query<ResultRow>(WITH_CUSTOM_ID, [jobId, '', '', limit - rows.length])).rows);
    } else {
      rows.push(...(await db.query<ResultRow>(WITH_CUSTOM_ID, [jobId, after.customId, after.requestId, limit])).rows);
    }
  } catch (cause) {
    throw asStoreError(cause, `reading results of job ${jobId}`);
  }
  return rows.map((r) => ({
    requestId: r.request_id,
    customId: r.custom_id,
    model: r.model,
    statusCode: r.status_code,
    response: r.response,
    error: r.error,
    promptTokens: r.prompt_tokens,
    completionTokens: r.completion_tokens,
    costUsd: r.cost_usd,
    latencyMs: Number(r.latency_ms),
  }));
}

/** Streams every result of a job, `pageSize` rows per query; memory stays one page. */
export async function* streamJobResults(db: Queryable, jobId: string, pageSize = 1_000): AsyncGenerator<StoredResult> {
  let after: ResultsCursor | null = null;
  for (;;) {
    const page = await readResultsPage(db, jobId, after, pageSize);
    yield* page;
    if (page.length < pageSize) return;
    const last = page[page.length - 1]!;
    after = { customId: last.customId, requestId: last.requestId };
  }
}

/** The answer an outcome carries, as its results row. */
export function resultOf(r: OutcomeRecord): ResultRecord {
  return {
    requestId: r.requestId,
    jobId: r.jobId,
    customId: r.customId ?? null,
    model: r.model,
    statusCode: r.statusCode ?? null,
    response: r.response ?? null,
    error: r.error,
    promptTokens: r.promptTokens,
    completionTokens: r.completionTokens,
    costUsd: r.costUsd,
    latencyMs: r.latencyMs,
    completedAtMs: r.completedAtMs,
  };
}

export interface ResultTotals {
  /** Results with an answer (no error). */
  readonly answered: number;
  readonly errors: number;
  /** Sum of the known costs over all results (null: none known). */
  readonly costUsd: number | null;
}

/** A job's results at a glance; null when this database has no results table (migration 0010). */
export async function resultTotals(db: Queryable, jobId: string): Promise<ResultTotals | null> {
  const exists = await db.query<{ t: string | null }>(`SELECT to_regclass('switchyard.results')::text AS t`);
  if (exists.rows[0]?.t === null || exists.rows[0]?.t === undefined) return null;
  const r = await db.query<{ answered: string; errors: string; cost: number | null }>(
    `SELECT count(*) FILTER (WHERE error IS NULL) AS answered, count(*) FILTER (WHERE error IS NOT NULL) AS errors, sum(cost_usd) AS cost
     FROM switchyard.results WHERE job_id = $1`,
    [jobId],
  );
  const row = r.rows[0];
  return { answered: Number(row?.answered ?? 0), errors: Number(row?.errors ?? 0), costUsd: row?.cost === null || row?.cost === undefined ? null : Number(row.cost) };
}
