// What the router's feedback loop reads back: outcomes joined to the features of the decisions
// they answer (migration 0008), after a watermark that cannot skip a late commit.
//
// Watermark: outcomes.feedback_tx is the id of the transaction that last wrote the row. A read
// takes only rows with feedback_tx below pg_snapshot_xmin of its snapshot (the oldest
// transaction still running): every writer below it has finished, and every later write gets a
// larger id. So paging by (feedback_tx, request_id) after the last row read sees each write
// exactly once, whatever order concurrent recorders commit in. The cost: while some
// transaction stays open anywhere in the database, rows written after it wait (feedback lag).
import type pg from 'pg';
import { asStoreError } from './decisions.ts';
import type { Queryable } from './decisions.ts';
import { inTransaction, withPooledClient } from './pool.ts';

// The int8 embedding codec lives with the embedder; re-exported here for the store's callers.
export { decodeEmbeddingInt8, encodeEmbeddingInt8, encodedEmbeddingBytes } from '@switchyard/embedding';

export interface FeedbackWatermark {
  /** xid8 as a decimal string. */
  readonly tx: string;
  readonly requestId: string;
}

export const FEEDBACK_START: FeedbackWatermark = Object.freeze({ tx: '0', requestId: '' });

export interface FeedbackOutcome {
  readonly requestId: string;
  readonly model: string;
  /** The outcome's reward in [0, 1] (quality, else success, else 0 on error); null: unknown. */
  readonly reward: number | null;
  readonly costUsd: number | null;
  readonly completionTokens: number;
  /** Null when the decision has no stored features (feedback off, or no decision row). */
  readonly embedding: Uint8Array | null;
  readonly rawQuality: number | null;
  readonly rawCostUsd: number | null;
  readonly rawOutputTokens: number | null;
  readonly updatedAtMs: number;
  readonly watermark: FeedbackWatermark;
}

interface Row {
  request_id: string;
  model: string;
  reward: number | null;
  cost_usd: number | null;
  completion_tokens: number;
  feature_embedding: Buffer | null;
  raw_quality: number | null;
  raw_cost_usd: number | null;
  raw_output_tokens: number | null;
  updated_ms: string;
  tx: string;
}

const COLUMNS = `o.request_id, o.model, o.reward, o.cost_usd, o.completion_tokens, d.feature_embedding,
  d.raw_quality, d.raw_cost_usd, d.raw_output_tokens,
  (extract(epoch FROM o.updated_at) * 1000)::bigint::text AS updated_ms, o.feedback_tx::text AS tx`;

function toOutcome(r: Row): FeedbackOutcome {
  return {
    requestId: r.request_id,
    model: r.model,
    reward: r.reward,
    costUsd: r.cost_usd,
    completionTokens: r.completion_tokens,
    embedding: r.feature_embedding === null ? null : new Uint8Array(r.feature_embedding),
    rawQuality: r.raw_quality,
    rawCostUsd: r.raw_cost_usd,
    rawOutputTokens: r.raw_output_tokens,
    updatedAtMs: Number(r.updated_ms),
    watermark: { tx: r.tx, requestId: r.request_id },
  };
}

/**
 * The next `limit` outcome writes after `after`, oldest first, each with its decision's
 * features (joined by request id; the decision may have been made by any router instance).
 * `models`: only outcomes of these models (null: all).
 */
export async function readFeedbackOutcomes(db: Queryable, after: FeedbackWatermark, limit: number, models: readonly string[] | null = null): Promise<FeedbackOutcome[]> {
  try {
    const res = await db.query<Row>(
      `SELECT ${COLUMNS}
         FROM switchyard.outcomes o
         LEFT JOIN switchyard.decisions d ON d.request_id = o.request_id AND d.model = o.model
        WHERE o.feedback_tx < pg_snapshot_xmin(pg_current_snapshot())
          AND (o.feedback_tx, o.request_id) > ($1::xid8, $2::text)
          AND ($4::text[] IS NULL OR o.model = ANY($4::text[]))
        ORDER BY o.feedback_tx, o.request_id
        LIMIT $3`,
      [after.tx, after.requestId, Math.max(1, Math.floor(limit)), models],
    );
    return res.rows.map(toOutcome);
  } catch (cause) {
    throw asStoreError(cause, 'reading outcomes for feedback');
  }
}

/**
 * For a restart: the newest `limit` outcomes (of `models`, null: all) that have decision features, oldest first, and the
 * watermark to continue from (the last write visible now, with or without features). One
 * snapshot for both, so nothing falls between them.
 */
export async function readFeedbackHistory(db: pg.Pool, limit: number, models: readonly string[] | null = null): Promise<{ outcomes: FeedbackOutcome[]; watermark: FeedbackWatermark }> {
  try {
    return await withPooledClient(db, (client) =>
      inTransaction(
        client,
        async () => {
          const rows = await client.query<Row>(
            `SELECT * FROM (
               SELECT ${COLUMNS}
                 FROM switchyard.outcomes o
                 JOIN switchyard.decisions d ON d.request_id = o.request_id AND d.model = o.model
                WHERE o.feedback_tx < pg_snapshot_xmin(pg_current_snapshot()) AND d.feature_embedding IS NOT NULL
                  AND ($2::text[] IS NULL OR o.model = ANY($2::text[]))
                ORDER BY o.feedback_tx DESC, o.request_id DESC
                LIMIT $1) t
              ORDER BY t.tx::xid8, t.request_id`,
            [Math.max(0, Math.floor(limit)), models],
          );
          const last = await client.query<{ tx: string; request_id: string }>(
            `SELECT feedback_tx::text AS tx, request_id FROM switchyard.outcomes
              WHERE feedback_tx < pg_snapshot_xmin(pg_current_snapshot())
              ORDER BY feedback_tx DESC, request_id DESC LIMIT 1`,
          );
          const w = last.rows[0];
          return { outcomes: rows.rows.map(toOutcome), watermark: w === undefined ? FEEDBACK_START : { tx: w.tx, requestId: w.request_id } };
        },
        'snapshot',
      ),
    );
  } catch (cause) {
    throw asStoreError(cause, 'reading feedback history');
  }
}

/** Retention: clears stored embeddings of decisions older than `days`; returns how many. */
export async function clearOldDecisionFeatures(db: Queryable, days: number, limit = 10_000): Promise<number> {
  try {
    const res = await db.query(
      `UPDATE switchyard.decisions SET feature_embedding = NULL
        WHERE request_id IN (
          SELECT request_id FROM switchyard.decisions
           WHERE feature_embedding IS NOT NULL AND decided_at < now() - $1 * interval '1 day'
           LIMIT $2)`,
      [days, limit],
    );
    return res.rowCount ?? 0;
  } catch (cause) {
    throw asStoreError(cause, 'clearing old decision features');
  }
}
