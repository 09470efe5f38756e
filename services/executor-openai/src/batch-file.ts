// The JSONL files of the OpenAI Batch API, as pure functions: the input file a routed batch is
// written as (one chat-completions request a line, custom_id = the request id) and the output
// and error files read back, each line turned into the outcome the per-request path would have
// produced for the same answer (usage, cost at the batch price, status, body, reason).
import type { ModelPrice } from '@switchyard/config';
import { classifyStatus } from './retry.ts';
import { errorMessage, failure, jsonTextOrNull, mapSuccess } from './response.ts';
import type { CallOutcome } from './response.ts';

export const BATCH_ENDPOINT = '/v1/chat/completions';

export interface BatchInputItem {
  readonly customId: string;
  readonly body: Record<string, unknown>;
}

/** The batch input file: `{"custom_id", "method": "POST", "url": "/v1/chat/completions", "body"}` per line. */
export function writeBatchInput(items: readonly BatchInputItem[]): string {
  return items.map((i) => `${JSON.stringify({ custom_id: i.customId, method: 'POST', url: BATCH_ENDPOINT, body: i.body })}\n`).join('');
}

/** One line of an output or error file, as read. */
export interface BatchOutputLine {
  readonly customId: string;
  readonly statusCode: number | null;
  /** `response.body` as JSON text; null when the line has no response. */
  readonly body: string | null;
  /** `error.code` / `error.message` of a line the provider did not execute (batch_expired, ...). */
  readonly errorCode: string | null;
  readonly errorMessage: string | null;
}

export interface ParsedBatchOutput {
  readonly lines: ReadonlyMap<string, BatchOutputLine>;
  /** Lines that could not be read (index of the file as passed, 1-based line number), never silently dropped. */
  readonly problems: ReadonlyArray<{ readonly file: number; readonly line: number; readonly detail: string }>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function readLine(raw: string): BatchOutputLine | string {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (err) {
    return `not JSON (${err instanceof Error ? err.message : String(err)})`;
  }
  if (!isObject(v) || typeof v.custom_id !== 'string') return 'no custom_id';
  const response = isObject(v.response) ? v.response : null;
  const status = response !== null && typeof response.status_code === 'number' ? response.status_code : null;
  const error = isObject(v.error) ? v.error : null;
  if (status === null && error === null) return 'neither response.status_code nor error';
  return {
    customId: v.custom_id,
    statusCode: status,
    body: response !== null && response.body !== undefined ? JSON.stringify(response.body) : null,
    errorCode: error !== null && typeof error.code === 'string' ? error.code : null,
    errorMessage: error !== null && typeof error.message === 'string' ? error.message : null,
  };
}

/**
 * Reads output and error files together. A custom_id found twice keeps its answered (2xx)
 * line, else its first: one line per request, whichever file it came from.
 */
export function parseBatchOutput(files: readonly string[]): ParsedBatchOutput {
  const lines = new Map<string, BatchOutputLine>();
  const problems: Array<{ file: number; line: number; detail: string }> = [];
  for (const [f, text] of files.entries()) {
    for (const [i, raw] of text.split('\n').entries()) {
      if (raw.trim() === '') continue;
      const l = readLine(raw);
      if (typeof l === 'string') {
        problems.push({ file: f, line: i + 1, detail: l });
        continue;
      }
      const had = lines.get(l.customId);
      const answered = (x: BatchOutputLine | undefined): boolean => x?.statusCode !== null && x?.statusCode !== undefined && classifyStatus(x.statusCode) === 'success';
      if (had === undefined || (!answered(had) && answered(l))) lines.set(l.customId, l);
    }
  }
  return { lines, problems };
}

/**
 * The model's batch-mode price (`batchCostPer1k...` of the model config; the standard price when
 * unset, as `costUsd(..., 'batch')` reads it) as a standard price, so a batch line goes through
 * the same mapSuccess as a single call.
 */
export function batchPrice(price: ModelPrice): ModelPrice {
  return {
    costPer1kPromptTokensUsd: price.batchCostPer1kPromptTokensUsd ?? price.costPer1kPromptTokensUsd,
    costPer1kCompletionTokensUsd: price.batchCostPer1kCompletionTokensUsd ?? price.costPer1kCompletionTokensUsd,
  };
}

/**
 * What one line means: `final` (an answer, or an error the same request sent alone would end
 * with too: a permanent 4xx, a malformed 2xx) or `unanswered` (a retriable status, or a line
 * the provider did not execute: worth the per-request path).
 */
export type LineVerdict =
  | { readonly kind: 'final'; readonly outcome: CallOutcome }
  | { readonly kind: 'unanswered'; readonly detail: string };

export function lineVerdict(line: BatchOutputLine | undefined, price: ModelPrice): LineVerdict {
  if (line === undefined) return { kind: 'unanswered', detail: 'missing from the output and error files' };
  if (line.statusCode === null) return { kind: 'unanswered', detail: `not executed (${line.errorCode ?? 'error'}: ${line.errorMessage ?? 'no message'})` };
  const body = line.body ?? '';
  const cls = classifyStatus(line.statusCode);
  if (cls === 'success') return { kind: 'final', outcome: mapSuccess(line.statusCode, body, price) };
  const text = `HTTP ${line.statusCode}: ${errorMessage(body)}`;
  if (cls === 'permanent') return { kind: 'final', outcome: failure('model_failed_permanently', `${text} (in a provider batch)`, line.statusCode, jsonTextOrNull(body)) };
  return { kind: 'unanswered', detail: text };
}
