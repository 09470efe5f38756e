// Late quality labels: what the label command needs from the stored outcomes, and the record of
// each label beside the quality the executor reported (migration 0012). The label itself
// reaches switchyard.outcomes through the outcomes topic, as a newer version of the outcome, so
// the recorder's idempotent versioning and statistics apply to it unchanged.
import { asStoreError } from './decisions.ts';
import type { Queryable } from './decisions.ts';
import type { OutcomeRecord } from './outcomes.ts';

/** The stored outcome of a request, as an event can be rebuilt from it (the segment it was counted in included). */
export type StoredOutcome = Pick<
  OutcomeRecord,
  'requestId' | 'jobId' | 'tenant' | 'model' | 'batchId' | 'segment' | 'quality' | 'success' | 'promptTokens' | 'completionTokens' | 'latencyMs' | 'error' | 'costUsd' | 'completedAtMs'
>;

export async function readStoredOutcomes(db: Queryable, requestIds: readonly string[]): Promise<Map<string, StoredOutcome>> {
  if (requestIds.length === 0) return new Map();
  try {
    const res = await db.query<{
      request_id: string; job_id: string; tenant: string | null; model: string; batch_id: string; segment: string | null;
      quality: number | null; success: boolean | null; prompt_tokens: number; completion_tokens: number; latency_ms: string;
      error: string | null; cost_usd: number | null; completed_at_ms: string;
    }>(
      `SELECT request_id, job_id, tenant, model, batch_id, segment, quality, success, prompt_tokens, completion_tokens,
              latency_ms, error, cost_usd, completed_at_ms
         FROM switchyard.outcomes WHERE request_id = ANY($1::text[])`,
      [[...new Set(requestIds)]],
    );
    return new Map(
      res.rows.map((r) => [
        r.request_id,
        {
          requestId: r.request_id, jobId: r.job_id, tenant: r.tenant, model: r.model, batchId: r.batch_id, segment: r.segment,
          quality: r.quality, success: r.success, promptTokens: r.prompt_tokens, completionTokens: r.completion_tokens,
          latencyMs: Number(r.latency_ms), error: r.error, costUsd: r.cost_usd, completedAtMs: Number(r.completed_at_ms),
        },
      ]),
    );
  } catch (cause) {
    throw asStoreError(cause, `reading ${requestIds.length} outcomes to label`);
  }
}

export interface LabelRecord {
  readonly requestId: string;
  readonly jobId: string;
  readonly quality: number;
  /** The outcome's quality before this label; kept only from the first label of the request. */
  readonly executorQuality: number | null;
}

/** Records labels; a later label of a request replaces the earlier one and keeps the executor's quality. */
export async function recordLabels(db: Queryable, labels: readonly LabelRecord[]): Promise<void> {
  if (labels.length === 0) return;
  try {
    await db.query(
      `INSERT INTO switchyard.outcome_labels AS l (request_id, job_id, quality, executor_quality)
       SELECT * FROM unnest($1::text[], $2::text[], $3::float8[], $4::float8[])
       ON CONFLICT (request_id) DO UPDATE SET quality = EXCLUDED.quality, labels = l.labels + 1, labelled_at = now()`,
      [labels.map((l) => l.requestId), labels.map((l) => l.jobId), labels.map((l) => l.quality), labels.map((l) => l.executorQuality)],
    );
  } catch (cause) {
    throw asStoreError(cause, `recording ${labels.length} labels`);
  }
}

/** The labels already recorded for these requests (request id -> label quality). */
export async function readLabels(db: Queryable, requestIds: readonly string[]): Promise<Map<string, number>> {
  if (requestIds.length === 0) return new Map();
  const res = await db.query<{ request_id: string; quality: number }>(
    'SELECT request_id, quality FROM switchyard.outcome_labels WHERE request_id = ANY($1::text[])',
    [[...new Set(requestIds)]],
  );
  return new Map(res.rows.map((r) => [r.request_id, r.quality]));
}
