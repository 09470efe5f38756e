// One request against a chat-completions endpoint, with retries. The loop is the imperative
// shell around retry.ts and response.ts: fetch, clock, sleep and randomness are injected so
// unit tests drive it against scripted answers.
import type { ModelPrice } from '@switchyard/config';
import type { RetrySettings } from './config.ts';
import { classifyStatus, parseRetryAfterMs, retryDelayMs } from './retry.ts';
import { errorMessage, failure, jsonTextOrNull, mapSuccess } from './response.ts';
import type { CallOutcome } from './response.ts';
import { context, injectTraceHeaders, tracingEnabled } from '@switchyard/telemetry';

export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body: string; signal: AbortSignal }) => Promise<{
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
}>;

export interface CallDeps {
  readonly fetch: FetchLike;
  readonly now: () => number;
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly random: () => number;
}

export interface CallTarget {
  readonly url: string;
  readonly apiKey: string | null;
  readonly requestTimeoutMs: number;
  readonly price: ModelPrice;
}

export interface CallResult extends CallOutcome {
  readonly attempts: number;
}

type Attempt =
  | { readonly kind: 'answered'; readonly status: number; readonly text: string; readonly retryAfter: string | null }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'network'; readonly detail: string };

/** Thrown when the executor stops mid-call: the batch is not committed and runs again later. */
export class CallAborted extends Error {
  override readonly name = 'CallAborted';
}

async function attempt(target: CallTarget, body: string, timeoutMs: number, stop: AbortSignal, deps: CallDeps): Promise<Attempt> {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), timeoutMs);
  const signal = AbortSignal.any([stop, timeout.signal]);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (target.apiKey !== null) headers.authorization = `Bearer ${target.apiKey}`;
  // The model call's span, so a traced server (vLLM, a LiteLLM proxy) joins the request's trace.
  if (tracingEnabled()) injectTraceHeaders(context.active(), headers);
  try {
    const res = await deps.fetch(target.url, { method: 'POST', headers, body, signal });
    const text = await res.text();
    return { kind: 'answered', status: res.status, text, retryAfter: res.headers.get('retry-after') };
  } catch (err) {
    if (stop.aborted) throw new CallAborted('executor stopping', { cause: err });
    if (timeout.signal.aborted) return { kind: 'timeout' };
    // undici reports refused / reset connections as TypeError('fetch failed') with a cause.
    const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return { kind: 'network', detail: `${err instanceof Error ? err.message : String(err)}${cause}` };
  } finally {
    clearTimeout(timer);
  }
}

function describe(a: Attempt): string {
  if (a.kind === 'timeout') return 'timed out';
  if (a.kind === 'network') return `connection failed (${a.detail})`;
  return `HTTP ${a.status}: ${errorMessage(a.text)}`;
}

/**
 * POSTs `body` until it succeeds, fails permanently, or runs out of attempts or time
 * (`deadlineMs`, epoch ms). Never throws for what the server did; throws CallAborted on stop.
 */
export async function callChatCompletions(target: CallTarget, body: string, retry: RetrySettings, deadlineMs: number, stop: AbortSignal, deps: CallDeps): Promise<CallResult> {
  for (let n = 1; ; n++) {
    const remainingMs = deadlineMs - deps.now();
    if (remainingMs <= 0) return { ...failure('deadline_exceeded', `no time left before attempt ${n}`), attempts: n - 1 };
    const a = await attempt(target, body, Math.min(target.requestTimeoutMs, remainingMs), stop, deps);
    if (a.kind === 'answered') {
      const cls = classifyStatus(a.status);
      if (cls === 'success') return { ...mapSuccess(a.status, a.text, target.price), attempts: n };
      if (cls === 'permanent') return { ...failure('model_failed_permanently', describe(a), a.status, jsonTextOrNull(a.text)), attempts: n };
    }
    const last = a.kind === 'answered' ? { status: a.status, response: jsonTextOrNull(a.text) } : { status: null, response: null };
    if (n >= retry.maxAttempts) return { ...failure('retries_exhausted', `${n} attempts, last ${describe(a)}`, last.status, last.response), attempts: n };
    const retryAfterMs = a.kind === 'answered' ? parseRetryAfterMs(a.retryAfter, deps.now()) : null;
    const waitMs = retryDelayMs(n, retryAfterMs, retry, deps.random);
    if (deps.now() + waitMs >= deadlineMs) {
      return { ...failure('deadline_exceeded', `after ${n} attempts, last ${describe(a)}; next wait ${waitMs} ms passes the request's time limit`, last.status, last.response), attempts: n };
    }
    await deps.sleep(waitMs, stop);
    if (stop.aborted) throw new CallAborted('executor stopping');
  }
}
