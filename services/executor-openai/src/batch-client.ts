// A client of the OpenAI Files and Batches API (upload a JSONL file, create, read and cancel a
// batch, download a file). Each call is retried like a chat call (429, 5xx, timeouts, with
// Retry-After honoured); what still fails is a BatchApiError with a retriable flag, which the
// provider-batch state machine turns into "poll again later" or "use the per-request path".
import type { RetrySettings } from './config.ts';
import { CallAborted } from './call.ts';
import { classifyStatus, parseRetryAfterMs, retryDelayMs } from './retry.ts';
import { errorMessage } from './response.ts';

export type HttpFetch = (url: string, init: { method: string; headers: Record<string, string>; body?: string | FormData; signal: AbortSignal }) => Promise<{
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
}>;

export type ProviderBatchStatus = 'validating' | 'failed' | 'in_progress' | 'finalizing' | 'completed' | 'expired' | 'cancelling' | 'cancelled';
const STATUSES: ReadonlySet<string> = new Set(['validating', 'failed', 'in_progress', 'finalizing', 'completed', 'expired', 'cancelling', 'cancelled']);
const TERMINAL: ReadonlySet<ProviderBatchStatus> = new Set(['failed', 'completed', 'expired', 'cancelled']);
export const isTerminalStatus = (s: ProviderBatchStatus): boolean => TERMINAL.has(s);

export interface ProviderBatchView {
  readonly id: string;
  readonly status: ProviderBatchStatus;
  readonly outputFileId: string | null;
  readonly errorFileId: string | null;
  readonly requestCounts: { readonly total: number; readonly completed: number; readonly failed: number };
  /** The batch's `errors.data` as text (why validation failed); null when none. */
  readonly errors: string | null;
  /** `completed_at` (or the time of the other end state) in epoch ms; null while running. */
  readonly endedAtMs: number | null;
}

export class BatchApiError extends Error {
  override readonly name = 'BatchApiError';
  readonly retriable: boolean;
  constructor(message: string, retriable: boolean) {
    super(message);
    this.retriable = retriable;
  }
}

/** What the state machine needs of a provider; the HTTP client below, or a fake in tests. */
export interface BatchApi {
  uploadFile(jsonl: string, filename: string, signal: AbortSignal): Promise<string>;
  createBatch(inputFileId: string, metadata: Readonly<Record<string, string>>, signal: AbortSignal): Promise<ProviderBatchView>;
  getBatch(id: string, signal: AbortSignal): Promise<ProviderBatchView>;
  cancelBatch(id: string, signal: AbortSignal): Promise<ProviderBatchView>;
  fileContent(id: string, signal: AbortSignal): Promise<string>;
}

export interface BatchClientDeps {
  readonly fetch: HttpFetch;
  readonly now: () => number;
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly random: () => number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** Reads a Batch object; throws a permanent BatchApiError when it is not one. */
export function readBatchView(text: string): ProviderBatchView {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new BatchApiError(`batch answer is not JSON: ${JSON.stringify(text.slice(0, 200))}`, false);
  }
  if (!isObject(v) || typeof v.id !== 'string' || typeof v.status !== 'string' || !STATUSES.has(v.status)) {
    throw new BatchApiError(`batch answer has no id or a status outside the Batch API's: ${text.slice(0, 200)}`, false);
  }
  const rc = isObject(v.request_counts) ? v.request_counts : {};
  const errors = isObject(v.errors) && Array.isArray(v.errors.data) && v.errors.data.length > 0 ? JSON.stringify(v.errors.data).slice(0, 500) : null;
  const status = v.status as ProviderBatchStatus;
  const ended = [v.completed_at, v.failed_at, v.expired_at, v.cancelled_at].find((t) => typeof t === 'number');
  return {
    id: v.id,
    status,
    outputFileId: typeof v.output_file_id === 'string' ? v.output_file_id : null,
    errorFileId: typeof v.error_file_id === 'string' ? v.error_file_id : null,
    requestCounts: { total: count(rc.total), completed: count(rc.completed), failed: count(rc.failed) },
    errors,
    endedAtMs: isTerminalStatus(status) && typeof ended === 'number' ? ended * 1000 : null,
  };
}

export interface BatchClientTarget {
  /** Base URL up to and including /v1. */
  readonly baseUrl: string;
  readonly apiKey: string | null;
  readonly requestTimeoutMs: number;
}

export function createBatchClient(target: BatchClientTarget, retry: RetrySettings, deps: BatchClientDeps): BatchApi {
  const base = target.baseUrl.replace(/\/+$/, '');
  async function once(method: string, path: string, body: string | FormData | undefined, stop: AbortSignal): Promise<{ status: number; text: string; retryAfter: string | null } | { failed: string }> {
    const headers: Record<string, string> = {};
    if (typeof body === 'string') headers['content-type'] = 'application/json';
    if (target.apiKey !== null) headers.authorization = `Bearer ${target.apiKey}`;
    const timeout = AbortSignal.timeout(target.requestTimeoutMs);
    try {
      const res = await deps.fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body } : {}), signal: AbortSignal.any([stop, timeout]) });
      return { status: res.status, text: await res.text(), retryAfter: res.headers.get('retry-after') };
    } catch (err) {
      if (stop.aborted) throw new CallAborted('executor stopping', { cause: err });
      return { failed: timeout.aborted ? 'timed out' : `connection failed (${err instanceof Error ? err.message : String(err)})` };
    }
  }
  /** The answer text of a 2xx, after retries; a BatchApiError otherwise. */
  async function call(method: string, path: string, body: () => string | FormData | undefined, stop: AbortSignal): Promise<string> {
    for (let n = 1; ; n++) {
      const a = await once(method, path, body(), stop);
      const what = 'failed' in a ? a.failed : `HTTP ${a.status}: ${errorMessage(a.text)}`;
      if (!('failed' in a)) {
        const cls = classifyStatus(a.status);
        if (cls === 'success') return a.text;
        if (cls === 'permanent') throw new BatchApiError(`${method} ${path}: ${what}`, false);
      }
      if (n >= retry.maxAttempts) throw new BatchApiError(`${method} ${path}: ${n} attempts, last ${what}`, true);
      const retryAfterMs = 'failed' in a ? null : parseRetryAfterMs(a.retryAfter, deps.now());
      await deps.sleep(retryDelayMs(n, retryAfterMs, retry, deps.random), stop);
      if (stop.aborted) throw new CallAborted('executor stopping');
    }
  }
  return {
    async uploadFile(jsonl, filename, stop) {
      const form = (): FormData => {
        const f = new FormData();
        f.set('purpose', 'batch');
        f.set('file', new Blob([jsonl], { type: 'application/jsonl' }), filename);
        return f;
      };
      const text = await call('POST', '/files', form, stop);
      let id: unknown;
      try {
        id = (JSON.parse(text) as { id?: unknown } | null)?.id;
      } catch {
        id = undefined;
      }
      if (typeof id !== 'string') throw new BatchApiError(`file upload answered without an id: ${text.slice(0, 200)}`, false);
      return id;
    },
    async createBatch(inputFileId, metadata, stop) {
      const body = JSON.stringify({ input_file_id: inputFileId, endpoint: '/v1/chat/completions', completion_window: '24h', metadata });
      return readBatchView(await call('POST', '/batches', () => body, stop));
    },
    getBatch: async (id, stop) => readBatchView(await call('GET', `/batches/${encodeURIComponent(id)}`, () => undefined, stop)),
    cancelBatch: async (id, stop) => readBatchView(await call('POST', `/batches/${encodeURIComponent(id)}/cancel`, () => undefined, stop)),
    fileContent: (id, stop) => call('GET', `/files/${encodeURIComponent(id)}/content`, () => undefined, stop),
  };
}
