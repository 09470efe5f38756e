// The Batch API client and the provider-batch runner against the real local server over HTTP:
// upload, create, poll, download; failed and missing lines go to the per-request path.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleRoutedBatch, sampleRoutedRequest } from '@switchyard/contracts';
import { sleep } from '@switchyard/kafka-io';
import { createAnswerBook, startModelServer } from '@switchyard/model-server';
import type { ModelServer } from '@switchyard/model-server';
import { BatchApiError, createBatchClient } from '../src/batch-client.ts';
import type { BatchApiSettings, ModelEndpoint } from '../src/config.ts';
import { createModelRunner } from '../src/execute.ts';
import { memoryLedger } from '../src/ledger.ts';
import { createProviderBatchRunner } from '../src/provider-batch.ts';

let server: ModelServer;
beforeAll(async () => {
  server = await startModelServer({ book: createAnswerBook(null), apiKey: 'sk-test', faults: { batch: { lineErrors: { share: 0.2 }, missing: { share: 0.1 } } } });
});
afterAll(async () => {
  await server.close();
});

const settings: BatchApiSettings = { enabled: true, minBatchRequests: 2, minTimeLeftMs: 1, fallbackMarginMs: 60_000, maxWaitMs: 60_000, pollIntervalMs: 5, maxPollIntervalMs: 20, requestTimeoutMs: 5_000, unanswered: 'per_request' };
const retry = { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 50, maxTotalMs: 30_000 };
const deps = { fetch: (url: string, init: RequestInit & { method: string; headers: Record<string, string>; signal: AbortSignal }) => fetch(url, init), now: Date.now, sleep, random: Math.random };
const endpoint = (): ModelEndpoint => ({
  model: 'm', upstreamModel: 'up-m', baseUrl: server.baseUrl, chatCompletionsUrl: `${server.baseUrl}/chat/completions`, apiKey: 'sk-test', concurrency: 4,
  requestsPerMinute: null, tokensPerMinute: null, requestTimeoutMs: 2_000, batchApi: settings,
  price: { costPer1kPromptTokensUsd: 2, costPer1kCompletionTokensUsd: 4, batchCostPer1kPromptTokensUsd: 1, batchCostPer1kCompletionTokensUsd: 2 },
});

describe('provider batch against the local server', () => {
  it('answers every request exactly once: batch lines at the batch price, the failed and missing ones per request at the standard price', async () => {
    const e = endpoint();
    const api = createBatchClient({ baseUrl: e.baseUrl, apiKey: e.apiKey, requestTimeoutMs: 5_000 }, retry, deps);
    const runner = createModelRunner(e, retry, deps);
    const requests = Array.from({ length: 100 }, (_, i) => sampleRoutedRequest({ requestId: `r${i}`, prompt: `question ${i}`, customId: `c${i}`, deadline: null }));
    const batch = sampleRoutedBatch({ batchId: 'rb-http', model: 'm', requests });
    const results = await createProviderBatchRunner(e, settings, api, memoryLedger(), (b, s) => runner.executeBatch(b, Date.now() + 30_000, s), deps).run(batch, new AbortController().signal);
    expect(results.map((r) => r.requestId).sort()).toEqual(requests.map((r) => r.requestId).sort());
    expect(results.every((r) => r.error === null && r.statusCode === 200)).toBe(true);
    const stats = server.stats().byKind;
    expect(stats.batch_line_error).toBeGreaterThan(0);
    expect(stats.batch_missing).toBeGreaterThan(0);
    // The lines the batch did not answer were called alone, once each.
    expect(stats.ok).toBe(stats.batch_line_error! + stats.batch_missing!);
    const perK = (r: (typeof results)[number]) => r.costUsd! / ((r.promptTokens * 1 + r.completionTokens * 2) / 1000);
    expect(results.filter((r) => Math.abs(perK(r) - 1) < 1e-9).length).toBe(stats.batch_ok);
    expect(results.filter((r) => Math.abs(perK(r) - 2) < 1e-9).length).toBe(stats.ok);
  });

  it('reports a refused call as a permanent BatchApiError', async () => {
    const api = createBatchClient({ baseUrl: server.baseUrl, apiKey: 'wrong', requestTimeoutMs: 5_000 }, retry, deps);
    const err = await api.getBatch('batch_x', new AbortController().signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BatchApiError);
    expect(err).toMatchObject({ retriable: false, message: expect.stringMatching(/HTTP 401/) });
  });
});
