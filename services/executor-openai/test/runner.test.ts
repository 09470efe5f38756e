// The model runner against the real local server over HTTP, with every fault injected at once:
// each request ends answered or with an error that names its reason.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleRoutedBatch, sampleRoutedRequest } from '@switchyard/contracts';
import { sleep } from '@switchyard/kafka-io';
import { createAnswerBook, startModelServer } from '@switchyard/model-server';
import type { ModelServer } from '@switchyard/model-server';
import { createModelRunner } from '../src/execute.ts';
import type { ModelEndpoint } from '../src/config.ts';

let server: ModelServer;
beforeAll(async () => {
  server = await startModelServer({
    book: createAnswerBook(null),
    apiKey: 'sk-test',
    faults: {
      rateLimited: { share: 0.2, attempts: 1, retryAfterSeconds: 0 },
      serverErrors: { share: 0.2, attempts: 2 },
      hangs: { share: 0.1, attempts: 1 },
      malformed: { share: 0.05 },
    },
  });
});
afterAll(async () => {
  await server.close();
});

const endpoint = (over: Partial<ModelEndpoint> = {}): ModelEndpoint => ({
  model: 'm',
  upstreamModel: 'upstream-m',
  baseUrl: server.baseUrl,
  batchApi: null,
  chatCompletionsUrl: `${server.baseUrl}/chat/completions`,
  apiKey: 'sk-test',
  concurrency: 8,
  requestsPerMinute: null,
  tokensPerMinute: null,
  requestTimeoutMs: 2_000,
  price: { costPer1kPromptTokensUsd: 1, costPer1kCompletionTokensUsd: 2 },
  ...over,
});
const deps = { fetch: (url: string, init: RequestInit & { body: string; headers: Record<string, string>; method: string; signal: AbortSignal }) => fetch(url, init), now: Date.now, sleep, random: Math.random };
const retry = { maxAttempts: 5, baseDelayMs: 5, maxDelayMs: 50, maxTotalMs: 30_000 };

describe('model runner against the local server', () => {
  it('answers every request or ends it with a reason, retrying 429s, 5xx and hangs', async () => {
    const requests = Array.from({ length: 200 }, (_, i) => sampleRoutedRequest({ requestId: `r${i}`, prompt: `question ${i}`, customId: `c${i}` }));
    const results = await createModelRunner(endpoint(), retry, deps).executeBatch(sampleRoutedBatch({ requests }), Date.now() + 60_000, new AbortController().signal);
    expect(results.map((r) => r.requestId)).toEqual(requests.map((r) => r.requestId));
    const failed = results.filter((r) => r.error !== null);
    // Only the malformed share fails: every other fault clears within the attempts allowed.
    expect(failed.length).toBeGreaterThan(0);
    for (const r of failed) expect(r.error).toMatch(/^malformed_response: /);
    for (const r of results.filter((x) => x.error === null)) {
      expect(r).toMatchObject({ success: true, statusCode: 200 });
      expect(r.promptTokens).toBeGreaterThan(0);
      expect(r.costUsd).toBeCloseTo((r.promptTokens * 1 + r.completionTokens * 2) / 1000, 12);
      expect(JSON.parse(r.response!)).toMatchObject({ model: 'upstream-m', object: 'chat.completion' });
    }
    const kinds = server.stats().byKind;
    expect(kinds.rate_limited).toBeGreaterThan(0);
    expect(kinds.server_error).toBeGreaterThan(0);
    expect(kinds.hang).toBeGreaterThan(0);
    expect(kinds.ok).toBe(results.length - failed.length);
  });

  it('ends requests as errors when the model is down for longer than they may wait, and a wrong key permanently', async () => {
    const down = await startModelServer({ book: createAnswerBook(null), faults: { down: [{ model: 'upstream-m', fromMs: 0, forMs: 60_000 }] } });
    try {
      const requests = [sampleRoutedRequest({ requestId: 'd1', prompt: 'x' })];
      const [r] = await createModelRunner(endpoint({ chatCompletionsUrl: `${down.baseUrl}/chat/completions` }), { ...retry, maxAttempts: 3 }, deps).executeBatch(sampleRoutedBatch({ requests }), Date.now() + 60_000, new AbortController().signal);
      expect(r!.error).toMatch(/^retries_exhausted: 3 attempts, last HTTP 503/);
      const [k] = await createModelRunner(endpoint({ apiKey: 'wrong' }), retry, deps).executeBatch(sampleRoutedBatch({ requests }), Date.now() + 60_000, new AbortController().signal);
      expect(k).toMatchObject({ statusCode: 401, success: false });
      expect(k!.error).toMatch(/^model_failed_permanently: HTTP 401/);
    } finally {
      await down.close();
    }
  });
});
