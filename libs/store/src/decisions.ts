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
  readonly scores: readonly number[];
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

const UPSERT = `
  INSERT INTO switchyard.decisions AS d (
    request_id, job_id, tenant, outcome, model, batch_id, fallback_rank, prompt_tokens,
    estimated_tokens, predicted_quality, predicted_cost_usd, score, dual_price, scores, reason,
    defer_until, deferrals, policy, router_instance, source_topic, source_partition,
    source_offset, decided_at, feature_embedding, raw_quality, raw_cost_usd, raw_output_tokens)
  SELECT request_id, job_id, tenant, outcome, model, batch_id, fallback_rank, prompt_tokens,
    estimated_tokens, predicted_quality, predicted_cost_usd, score, dual_price, scores::jsonb, reason,
    CASE WHEN defer_until_ms IS NULL THEN NULL ELSE to_timestamp(defer_until_ms / 1000.0) END,
    deferrals, policy, router_instance, source_topic, source_partition, source_offset,
    to_timestamp(decided_at_ms / 1000.0), feature_embedding, raw_quality, raw_cost_usd, raw_output_tokens
  FROM unnest(
    $1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::int[],
    $9::int[], $10::float8[], $11::float8[], $12::float8[], $13::float8[], $14::text[], $15::text[],
    $16::float8[], $17::int[], $18::text[], $19::text[], $20::text[], $21::int[],
    $22::bigint[], $23::float8[], $24::bytea[], $25::float8[], $26::float8[], $27::float8[]
  ) AS r(request_id, job_id, tenant, outcome, model, batch_id, fallback_rank, prompt_tokens,
    estimated_tokens, predicted_quality, predicted_cost_usd, score, dual_price, scores, reason,
    defer_until_ms, deferrals, policy, router_instance, source_topic, source_partition,
    source_offset, decided_at_ms, feature_embedding, raw_quality, raw_cost_usd, raw_output_tokens)
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
  const unique = [...new Map(rows.map((r) => [r.requestId, r])).values()];
  let written = 0;
  for (let i = 0; i < unique.length; i += DECISION_INSERT_CHUNK) {
    const chunk = unique.slice(i, i + DECISION_INSERT_CHUNK);
    const col = <T>(f: (r: DecisionRecord) => T): T[] => chunk.map(f);
    try {
      const res = await db.query(UPSERT, [
        col((r) => r.requestId),
        col((r) => r.jobId),
        col((r) => r.tenant),
        col((r) => r.outcome),
        col((r) => r.model),
        col((r) => r.batchId),
        col((r) => r.fallbackRank),
        col((r) => r.promptTokens),
        col((r) => (r.estimatedTokens === null ? null : Math.round(r.estimatedTokens))),
        col((r) => finiteOrNull(r.predictedQuality)),
        col((r) => finiteOrNull(r.predictedCostUsd)),
        col((r) => finiteOrNull(r.score)),
        col((r) => finiteOrNull(r.dualPrice)),
        // JSON has no NaN or Infinity; a model the policy could not score is stored as null.
        col((r) => JSON.stringify(r.scores.map((s) => (Number.isFinite(s) ? s : null)))),
        col((r) => r.reason),
        col((r) => r.deferUntilMs),
        col((r) => r.deferrals),
        col((r) => r.policy),
        col((r) => r.routerInstance),
        col((r) => r.sourceTopic),
        col((r) => r.sourcePartition),
        col((r) => r.sourceOffset),
        col((r) => r.decidedAtMs),
        col((r) => (r.features ? Buffer.from(r.features.embedding.buffer, r.features.embedding.byteOffset, r.features.embedding.byteLength) : null)),
        col((r) => (r.features ? finiteOrNull(r.features.rawQuality) : null)),
        col((r) => (r.features ? finiteOrNull(r.features.rawCostUsd) : null)),
        col((r) => (r.features ? finiteOrNull(r.features.rawOutputTokens) : null)),
      ]);
      written += res.rowCount ?? 0;
    } catch (cause) {
      throw asStoreError(cause, `recording ${chunk.length} decisions`);
    }
  }
  return written;
}
