// Provider batches (OpenAI Batch API) a routed batch was submitted as, keyed by routed batch
// and model: the memory that lets a restarted executor resume polling instead of resubmitting.
import type { Queryable } from './decisions.ts';
import { asStoreError } from './decisions.ts';

export interface ProviderBatchRecord {
  readonly routedBatchId: string;
  readonly model: string;
  readonly providerBatchId: string;
  readonly inputFileId: string;
  readonly requests: number;
  readonly status: string;
  readonly submittedAtMs: number;
}

interface Row {
  routed_batch_id: string;
  model: string;
  provider_batch_id: string;
  input_file_id: string;
  requests: number;
  status: string;
  submitted_at_ms: string;
}

const FIND = `SELECT routed_batch_id, model, provider_batch_id, input_file_id, requests, status,
    (extract(epoch FROM submitted_at) * 1000)::bigint AS submitted_at_ms
  FROM switchyard.provider_batches WHERE routed_batch_id = $1 AND model = $2`;

// A second submission of the same routed batch (two owners after a rebalance) replaces the
// first: the later one is the batch its owner polls.
const SAVE = `INSERT INTO switchyard.provider_batches (routed_batch_id, model, provider_batch_id,
    input_file_id, requests, status, submitted_at)
  VALUES ($1, $2, $3, $4, $5, $6, to_timestamp($7 / 1000.0))
  ON CONFLICT (routed_batch_id, model) DO UPDATE SET provider_batch_id = EXCLUDED.provider_batch_id,
    input_file_id = EXCLUDED.input_file_id, requests = EXCLUDED.requests, status = EXCLUDED.status,
    submitted_at = EXCLUDED.submitted_at, updated_at = now()`;

const SET_STATUS = `UPDATE switchyard.provider_batches SET status = $3, updated_at = now()
  WHERE routed_batch_id = $1 AND model = $2 AND provider_batch_id = $4`;

export async function findProviderBatch(db: Queryable, routedBatchId: string, model: string): Promise<ProviderBatchRecord | null> {
  try {
    const r = (await db.query<Row>(FIND, [routedBatchId, model])).rows[0];
    if (r === undefined) return null;
    return { routedBatchId: r.routed_batch_id, model: r.model, providerBatchId: r.provider_batch_id, inputFileId: r.input_file_id, requests: r.requests, status: r.status, submittedAtMs: Number(r.submitted_at_ms) };
  } catch (cause) {
    throw asStoreError(cause, `reading provider batch of ${routedBatchId}`);
  }
}

export async function saveProviderBatch(db: Queryable, rec: ProviderBatchRecord): Promise<void> {
  try {
    await db.query(SAVE, [rec.routedBatchId, rec.model, rec.providerBatchId, rec.inputFileId, rec.requests, rec.status, rec.submittedAtMs]);
  } catch (cause) {
    throw asStoreError(cause, `saving provider batch of ${rec.routedBatchId}`);
  }
}

export async function setProviderBatchStatus(db: Queryable, routedBatchId: string, model: string, providerBatchId: string, status: string): Promise<void> {
  try {
    await db.query(SET_STATUS, [routedBatchId, model, status, providerBatchId]);
  } catch (cause) {
    throw asStoreError(cause, `updating provider batch of ${routedBatchId}`);
  }
}
