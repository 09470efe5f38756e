import { afterEach, describe, expect, it } from 'vitest';
import { sampleRoutedBatch, sampleRoutedRequest } from '@switchyard/contracts';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TRACEPARENT_HEADER, context, spanContextOfHeaders, startInMemoryTelemetry, trace } from '@switchyard/telemetry';
import type { InMemoryTelemetry } from '@switchyard/telemetry';
import type { CallDeps } from '../src/call.ts';
import type { ModelEndpoint } from '../src/config.ts';
import { createModelRunner } from '../src/execute.ts';

const ok = JSON.stringify({ choices: [{ message: { content: 'x' } }], usage: { prompt_tokens: 2, completion_tokens: 3 } });
const endpoint: ModelEndpoint = {
  model: 'm', upstreamModel: 'up', baseUrl: 'http://model/v1', chatCompletionsUrl: 'http://model/v1/chat/completions', apiKey: null, concurrency: 2, batchApi: null,
  requestsPerMinute: 600, tokensPerMinute: null, requestTimeoutMs: 1_000, price: { costPer1kPromptTokensUsd: 1, costPer1kCompletionTokensUsd: 1 },
};
const retry = { maxAttempts: 1, baseDelayMs: 10, maxDelayMs: 100, maxTotalMs: 10_000 };

function scripted(statusOf: (body: string) => number) {
  const sent: Record<string, string>[] = [];
  const deps: CallDeps = {
    fetch: async (_url, init) => {
      sent.push(init.headers);
      const status = statusOf(init.body);
      return { status, headers: { get: () => null }, text: async () => (status === 200 ? ok : '{"error":{"message":"bad"}}') };
    },
    now: () => 0,
    sleep: async () => undefined,
    random: () => 0.5,
  };
  return { deps, sent };
}

describe('model call tracing', () => {
  let telemetry: InMemoryTelemetry | undefined;
  afterEach(async () => {
    await telemetry?.shutdown();
    telemetry = undefined;
  });

  it('sends no trace header when tracing is off', async () => {
    const s = scripted(() => 200);
    await createModelRunner(endpoint, retry, s.deps).executeBatch(sampleRoutedBatch(), Number.MAX_SAFE_INTEGER, new AbortController().signal);
    expect(s.sent.length).toBeGreaterThan(0);
    for (const h of s.sent) expect(h[TRACEPARENT_HEADER]).toBeUndefined();
  });

  it('makes a span per call under the execution span and sends it to the server as traceparent', async () => {
    telemetry = startInMemoryTelemetry();
    const s = scripted((body) => (body.includes('second') ? 400 : 200));
    const batch = { ...sampleRoutedBatch(), requests: [{ ...sampleRoutedRequest(), requestId: 'q1' }, { ...sampleRoutedRequest(), requestId: 'q2', prompt: 'second' }] };
    const execute = trace.getTracer('t').startSpan('switchyard.execute', { kind: SpanKind.CONSUMER }, ROOT_CONTEXT);
    await context.with(trace.setSpan(ROOT_CONTEXT, execute), () => createModelRunner(endpoint, retry, s.deps).executeBatch(batch, Number.MAX_SAFE_INTEGER, new AbortController().signal));
    execute.end();
    const calls = telemetry.spans().filter((sp) => sp.name === 'switchyard.model_call');
    expect(calls.map((c) => c.attributes['switchyard.request_id']).sort()).toEqual(['q1', 'q2']);
    for (const c of calls) expect(c.parentSpanContext?.spanId).toBe(execute.spanContext().spanId);
    expect(calls.find((c) => c.attributes['switchyard.request_id'] === 'q2')!.status.code).toBe(SpanStatusCode.ERROR);
    expect(s.sent.map((h) => spanContextOfHeaders(h)?.spanId).sort()).toEqual(calls.map((c) => c.spanContext().spanId).sort());
  });
});
