// Executing a routed batch on one model: every request waits for a concurrency slot and its
// rate-limit reservation, then is called with retries. Failures are results (error set), so
// every request of the batch gets an outcome.
import { setMaxListeners } from 'node:events';
import type { RoutedBatchV2, RoutedRequestV2 } from '@switchyard/contracts';
import type { ExecutionResult } from '@switchyard/executor-kit';
import type { ModelEndpoint, RetrySettings } from './config.ts';
import { buildChatBody } from './chat-body.ts';
import { callChatCompletions } from './call.ts';
import type { CallDeps, CallResult } from './call.ts';
import { RateLimiter, Semaphore } from './rate-limit.ts';
import { failure, handBackFor } from './response.ts';
import type { CallOutcome } from './response.ts';
import { SpanKind, SpanStatusCode, inSpan, trace, tracingEnabled } from '@switchyard/telemetry';

export interface ModelRunner {
  /** Executes the batch; every request must settle by `batchDeadlineMs` (epoch ms). */
  executeBatch(batch: RoutedBatchV2, batchDeadlineMs: number, stop: AbortSignal): Promise<ExecutionResult[]>;
}

export function createModelRunner(endpoint: ModelEndpoint, retry: RetrySettings, deps: CallDeps): ModelRunner {
  const slots = new Semaphore(endpoint.concurrency);
  const limiter = new RateLimiter(endpoint, deps.now());
  const target = { url: endpoint.chatCompletionsUrl, apiKey: endpoint.apiKey, requestTimeoutMs: endpoint.requestTimeoutMs, price: endpoint.price };

  async function one(item: RoutedRequestV2, batchDeadlineMs: number, stop: AbortSignal): Promise<ExecutionResult> {
    // Latency is the model's: from the first attempt, not from the wait for a slot or the rate limit.
    let started = deps.now();
    const finish = (o: CallOutcome, attempts = 0): ExecutionResult => ({
      requestId: item.requestId,
      success: o.success,
      promptTokens: o.promptTokens,
      completionTokens: o.completionTokens,
      latencyMs: Math.max(0, deps.now() - started),
      error: o.error,
      costUsd: o.costUsd,
      statusCode: o.statusCode,
      response: o.response,
      handBack: handBackFor(o, attempts),
    });
    const body = buildChatBody(item, endpoint.upstreamModel);
    if (!body.ok) return finish(failure('invalid_body', body.detail));
    const release = await slots.acquire();
    try {
      const waitMs = limiter.reserve(item.promptTokens + item.maxOutputTokens, deps.now());
      if (deps.now() + waitMs >= batchDeadlineMs) return finish(failure('deadline_exceeded', `rate limit wait of ${waitMs} ms passes the batch's time limit`));
      if (waitMs > 0) await deps.sleep(waitMs, stop);
      started = deps.now();
      const deadlineMs = Math.min(batchDeadlineMs, deps.now() + retry.maxTotalMs);
      const call = () => callChatCompletions(target, JSON.stringify(body.body), retry, deadlineMs, stop, deps);
      const r = tracingEnabled() ? await tracedCall(item, endpoint.upstreamModel, call) : await call();
      return finish(r, r.attempts);
    } finally {
      release();
    }
  }

  return {
    executeBatch: (batch, batchDeadlineMs, stop) => {
      // Each call in flight listens on the stop signal twice (its fetch and its backoff sleep);
      // that many listeners is expected, not a leak.
      setMaxListeners(endpoint.concurrency * 2 + 10, stop);
      return Promise.all(batch.requests.map((item) => one(item, batchDeadlineMs, stop)));
    },
  };
}

/** A span per model call, a child of the batch's execution span (the active context). */
function tracedCall(item: RoutedRequestV2, upstreamModel: string, call: () => Promise<CallResult>): Promise<CallResult> {
  const attributes = { 'switchyard.request_id': item.requestId, 'gen_ai.request.model': upstreamModel, 'gen_ai.operation.name': 'chat' };
  return inSpan(trace.getTracer('switchyard.executor'), 'switchyard.model_call', { kind: SpanKind.CLIENT, attributes }, async (span) => {
    const r = await call();
    span.setAttributes({ 'switchyard.attempts': r.attempts, 'switchyard.success': r.success, ...(r.statusCode !== null ? { 'http.response.status_code': r.statusCode } : {}) });
    if (!r.success) span.setStatus({ code: SpanStatusCode.ERROR, message: r.error ?? 'failed' });
    return r;
  });
}
