// Router decisions, written in batches and idempotently by request id.
//
// Ordering rule: the router writes a slice's decisions BEFORE committing the Kafka transaction
// that carries them. A crash between the two leaves rows for a transaction that never
// committed; the slice is then consumed again and its decisions are written again. Plain
// `ON CONFLICT DO NOTHING` would keep the first, uncommitted attempt, which can differ from the
// committed one (budgets moved on in between). So a conflicting row is overwritten unless the
// stored row is from a later deferral round (`deferrals` only grows as a request is deferred
// and retried), which makes the last attempt before the commit win and a replay of an old
// round a no-op.
import type pg from 'pg';
import { StoreError } from './errors.ts';

export type DecisionOutcomeKind = 'routed' | 'deferred' | 'rejected';

export interface DecisionRecord {
  readonly requestId: string;
  readonly jobId: string;
  readonly tenant: string;
  readonly outcome: DecisionOutcomeKind;
  readonly model: string | null;
  readonly batchId: string | null;
  readonly fallbackRank: number | null;
  readonly promptTokens: number;
  readonly estimatedTokens: number | null;
  readonly predictedQuality: number | null;
  readonly predictedCostUsd: number | null;
  readonly score: number | null;
  readonly dualPrice: number | null;
  /** Every model's policy score (stored as a JSON array; NaN and infinities as null). */
  readonly scores: ArrayLike<number>;
  readonly reason: string | null;
  readonly deferUntilMs: number | null;
  readonly deferrals: number;
  readonly policy: string;
  readonly routerInstance: string;
  readonly sourceTopic: string;
  readonly sourcePartition: number;
  /** int64 as a decimal string. */
  readonly sourceOffset: string;
  readonly decidedAtMs: number;
  /** What the feedback loop needs from a routed decision (migration 0008); absent or null: none stored. */
  readonly features?: DecisionFeatures | null;
}

/** A routed decision's features for feedback, stored in the decision's own row. */
export interface DecisionFeatures {
  /** The prompt's embedding as encodeEmbeddingInt8 writes it. */
  readonly embedding: Uint8Array;
  /** The chosen model's raw k-NN estimates (before cost correction and bonus). */
  readonly rawQuality: number;
  readonly rawCostUsd: number;
  /** Expected response tokens, before the request's output cap; NaN when unknown. */
  readonly rawOutputTokens: number;
}

/** Anything that runs a parameterised query: a pool or a checked-out client. */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

/** Rows per INSERT statement: one round trip each, far below Postgres' parameter limits (arrays). */
export const DECISION_INSERT_CHUNK = 2_000;

// The columns a slice usually shares (job, tenant, policy, instance, source topic, decision
// time) travel once as a scalar when every row has the same value, and their per-row arrays are
// then empty: unnest pads them with NULL and COALESCE takes the scalar. Scores travel as one
// flat float8 array sliced per row, and feature embeddings as ONE bytea parameter (node-postgres
// sends a Buffer in binary) sliced per row, instead of a JSON string and a hex literal per row.
const UPSERT = `
  INSERT INTO switchyard.decisions AS d (
    request_id, job_id, tenant, outcome, model, batch_id, fallback_rank, prompt_tokens,
    estimated_tokens, predicted_quality, predicted_cost_usd, score, dual_price, scores, reason,
    defer_until, deferrals, policy, router_instance, source_topic, source_partition,
    source_offset, decided_at, feature_embedding, raw_quality, raw_cost_usd, raw_output_tokens)
  SELECT request_id, COALESCE(job_id, $28), COALESCE(tenant, $29), outcome, model, batch_id, fallback_rank, prompt_tokens,
    estimated_tokens, predicted_quality, predicted_cost_usd, score, dual_price,
    to_jsonb(($14::float8[])[scores_off + 1 : scores_off + scores_len]), reason,
    CASE WHEN defer_until_ms IS NULL THEN NULL ELSE to_timestamp(defer_until_ms / 1000.0) END,
    deferrals, COALESCE(policy, $30), COALESCE(router_instance, $31), COALESCE(source_topic, $32), source_partition, source_offset,
    to_timestamp(COALESCE(decided_at_ms, $33) / 1000.0),
    CASE WHEN feature_len = 0 THEN NULL ELSE substring($24::bytea FROM feature_off + 1 FOR feature_len) END,
    raw_quality, raw_cost_usd, raw_output_tokens
  FROM unnest(
    $1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::int[],
    $9::int[], $10::float8[], $11::float8[], $12::float8[], $13::float8[], $15::text[],
    $16::float8[], $17::int[], $18::text[], $19::text[], $20::text[], $21::int[],
    $22::bigint[], $23::float8[], $25::float8[], $26::float8[], $27::float8[],
    $34::int[], $35::int[], $36::int[], $37::int[]
  ) AS r(request_id, job_id, tenant, outcome, model, batch_id, fallback_rank, prompt_tokens,
    estimated_tokens, predicted_quality, predicted_cost_usd, score, dual_price, reason,
    defer_until_ms, deferrals, policy, router_instance, source_topic, source_partition,
    source_offset, decided_at_ms, raw_quality, raw_cost_usd, raw_output_tokens,
    scores_off, scores_len, feature_off, feature_len)
  ON CONFLICT (request_id) DO UPDATE SET
    job_id = EXCLUDED.job_id, tenant = EXCLUDED.tenant, outcome = EXCLUDED.outcome,
    model = EXCLUDED.model, batch_id = EXCLUDED.batch_id, fallback_rank = EXCLUDED.fallback_rank,
    prompt_tokens = EXCLUDED.prompt_tokens, estimated_tokens = EXCLUDED.estimated_tokens,
    predicted_quality = EXCLUDED.predicted_quality, predicted_cost_usd = EXCLUDED.predicted_cost_usd,
    score = EXCLUDED.score, dual_price = EXCLUDED.dual_price, scores = EXCLUDED.scores,
    reason = EXCLUDED.reason, defer_until = EXCLUDED.defer_until, deferrals = EXCLUDED.deferrals,
    policy = EXCLUDED.policy, router_instance = EXCLUDED.router_instance,
    source_topic = EXCLUDED.source_topic, source_partition = EXCLUDED.source_partition,
    source_offset = EXCLUDED.source_offset, decided_at = EXCLUDED.decided_at, recorded_at = now(),
    feature_embedding = EXCLUDED.feature_embedding, raw_quality = EXCLUDED.raw_quality,
    raw_cost_usd = EXCLUDED.raw_cost_usd, raw_output_tokens = EXCLUDED.raw_output_tokens
  WHERE d.deferrals <= EXCLUDED.deferrals`;

// SQLSTATE classes that mean "the database or the link is unavailable right now": 08 connection
// exception, 53 insufficient resources, 57 operator intervention, 40 transaction rollback
// (serialization failure, deadlock). Anything else is a bug and is rethrown unchanged.
const TRANSIENT_SQLSTATE_CLASSES: ReadonlySet<string> = new Set(['08', '53', '57', '40']);

export function asStoreError(cause: unknown, what: string): unknown {
  const code = (cause as { code?: unknown } | null)?.code;
  const transient = typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code) || TRANSIENT_SQLSTATE_CLASSES.has(code.slice(0, 2));
  return transient ? new StoreError('connection_failed', `${what} failed: database unavailable`, { cause }) : cause;
}

function finiteOrNull(v: number | null): number | null {
  return v !== null && Number.isFinite(v) ? v : null;
}

/**
 * Upserts decisions in chunks of DECISION_INSERT_CHUNK rows. Within one call a request id must
 * appear once (Postgres refuses to update the same row twice in one statement); the last
 * occurrence is kept if a caller passes duplicates.
 */
export async function recordDecisions(db: Queryable, rows: readonly DecisionRecord[]): Promise<number> {
  const unique = lastPerRequest(rows);
  let written = 0;
  for (let i = 0; i < unique.length; i += DECISION_INSERT_CHUNK) {
    const chunk = i === 0 && unique.length <= DECISION_INSERT_CHUNK ? unique : unique.slice(i, i + DECISION_INSERT_CHUNK);
    try {
      const res = await db.query(UPSERT, paramsOf(chunk));
      written += res.rowCount ?? 0;
    } catch (cause) {
      throw asStoreError(cause, `recording ${chunk.length} decisions`);
    }
  }
  return written;
}

function lastPerRequest(rows: readonly DecisionRecord[]): readonly DecisionRecord[] {
  const ids = new Set<string>();
  for (const r of rows) ids.add(r.requestId);
  if (ids.size === rows.length) return rows;
  return [...new Map(rows.map((r) => [r.requestId, r])).values()];
}

/** One value for every row, or undefined when they differ. */
function shared<T>(rows: readonly DecisionRecord[], f: (r: DecisionRecord) => T): T | undefined {
  const first = f(rows[0]!);
  for (let i = 1; i < rows.length; i++) if (f(rows[i]!) !== first) return undefined;
  return first;
}

/** Per-row arrays in one pass, plus the shared columns' scalars (see UPSERT). */
function paramsOf(chunk: readonly DecisionRecord[]): unknown[] {
  const n = chunk.length;
  const jobId = shared(chunk, (r) => r.jobId);
  const tenant = shared(chunk, (r) => r.tenant);
  const policy = shared(chunk, (r) => r.policy);
  const instance = shared(chunk, (r) => r.routerInstance);
  const topic = shared(chunk, (r) => r.sourceTopic);
  const decidedAt = shared(chunk, (r) => r.decidedAtMs);
  const cols: unknown[][] = Array.from({ length: 27 }, () => new Array<unknown>(n));
  const scores: (number | null)[] = [];
  const scoresOff = new Array<number>(n);
  const scoresLen = new Array<number>(n);
  const featureOff = new Array<number>(n);
  const featureLen = new Array<number>(n);
  const blobs: Uint8Array[] = [];
  let blobBytes = 0;
  for (let k = 0; k < n; k++) {
    const r = chunk[k]!;
    const c = (col: number, v: unknown): void => {
      cols[col]![k] = v;
    };
    c(0, r.requestId);
    c(3, r.outcome);
    c(4, r.model);
    c(5, r.batchId);
    c(6, r.fallbackRank);
    c(7, r.promptTokens);
    c(8, r.estimatedTokens === null ? null : Math.round(r.estimatedTokens));
    c(9, finiteOrNull(r.predictedQuality));
    c(10, finiteOrNull(r.predictedCostUsd));
    c(11, finiteOrNull(r.score));
    c(12, finiteOrNull(r.dualPrice));
    c(14, r.reason);
    c(15, r.deferUntilMs);
    c(16, r.deferrals);
    c(20, r.sourcePartition);
    c(21, r.sourceOffset);
    c(24, r.features ? finiteOrNull(r.features.rawQuality) : null);
    c(25, r.features ? finiteOrNull(r.features.rawCostUsd) : null);
    c(26, r.features ? finiteOrNull(r.features.rawOutputTokens) : null);
    // JSON has no NaN or Infinity: a model the policy could not score is stored as null.
    scoresOff[k] = scores.length;
    scoresLen[k] = r.scores.length;
    for (let m = 0; m < r.scores.length; m++) scores.push(finiteOrNull(r.scores[m]!));
    featureOff[k] = blobBytes;
    featureLen[k] = r.features ? r.features.embedding.byteLength : 0;
    if (r.features) {
      blobs.push(r.features.embedding);
      blobBytes += r.features.embedding.byteLength;
    }
  }
  const perRow = (value: unknown, f: (r: DecisionRecord) => unknown): unknown[] => (value !== undefined ? [] : chunk.map(f));
  cols[1] = perRow(jobId, (r) => r.jobId);
  cols[2] = perRow(tenant, (r) => r.tenant);
  cols[17] = perRow(policy, (r) => r.policy);
  cols[18] = perRow(instance, (r) => r.routerInstance);
  cols[19] = perRow(topic, (r) => r.sourceTopic);
  cols[22] = perRow(decidedAt, (r) => r.decidedAtMs);
  cols[13] = scores;
  const params: unknown[] = [...cols];
  params[23] = Buffer.concat(blobs, blobBytes);
  return [...params, jobId ?? null, tenant ?? null, policy ?? null, instance ?? null, topic ?? null, decidedAt ?? null, scoresOff, scoresLen, featureOff, featureLen];
}
