// The provider-batch state machine against a scripted fake provider (statuses, lines, faults),
// a virtual clock and the in-memory ledger.
import { describe, expect, it } from 'vitest';
import { sampleRoutedBatch, sampleRoutedRequest } from '@switchyard/contracts';
import type { RoutedBatchV2 } from '@switchyard/contracts';
import type { ExecutionResult } from '@switchyard/executor-kit';
import { BatchApiError } from '../src/batch-client.ts';
import type { BatchApi, ProviderBatchStatus, ProviderBatchView } from '../src/batch-client.ts';
import { CallAborted } from '../src/call.ts';
import type { BatchApiSettings, ModelEndpoint } from '../src/config.ts';
import { memoryLedger } from '../src/ledger.ts';
import { cancelAtMs, chooseBatchApi, createProviderBatchRunner } from '../src/provider-batch.ts';

const settings: BatchApiSettings = { enabled: true, minBatchRequests: 2, minTimeLeftMs: 3_600_000, fallbackMarginMs: 60_000, maxWaitMs: 600_000, pollIntervalMs: 1_000, maxPollIntervalMs: 4_000, requestTimeoutMs: 1_000, unanswered: 'per_request' };
const endpoint: ModelEndpoint = {
  model: 'm', upstreamModel: 'up', baseUrl: 'http://model/v1', chatCompletionsUrl: 'http://model/v1/chat/completions', apiKey: null, concurrency: 1,
  requestsPerMinute: null, tokensPerMinute: null, requestTimeoutMs: 1_000, batchApi: settings,
  price: { costPer1kPromptTokensUsd: 2, costPer1kCompletionTokensUsd: 2, batchCostPer1kPromptTokensUsd: 1, batchCostPer1kCompletionTokensUsd: 1 },
};

type LineFate = 'ok' | 'error500' | 'error400' | 'missing' | 'expired';

/** A provider that runs a batch for `pollsToFinish` status reads, then ends it as `ending`. */
function fakeProvider(fate: (customId: string) => LineFate, opts: { pollsToFinish?: number; ending?: ProviderBatchStatus; uploadFails?: boolean } = {}) {
  let now = 0;
  const calls: string[] = [];
  const sleeps: number[] = [];
  const files = new Map<string, string>();
  const batches = new Map<string, { input: string; polls: number; cancelled: boolean; view?: ProviderBatchView }>();
  const line = (id: string, status: number, body: unknown) => JSON.stringify({ custom_id: id, response: { status_code: status, body }, error: null });
  function finish(id: string, status: ProviderBatchStatus): ProviderBatchView {
    const b = batches.get(id)!;
    const out: string[] = [];
    const err: string[] = [];
    for (const raw of b.input.split('\n').filter((l) => l !== '')) {
      const { custom_id: cid } = JSON.parse(raw) as { custom_id: string };
      const f = status === 'cancelled' ? 'expired' : fate(cid);
      if (f === 'ok') out.push(line(cid, 200, { choices: [{ message: { content: cid } }], usage: { prompt_tokens: 1000, completion_tokens: 1000 } }));
      else if (f === 'error500') err.push(line(cid, 500, { error: { message: 'boom' } }));
      else if (f === 'error400') err.push(line(cid, 400, { error: { message: 'bad request' } }));
      else if (f === 'expired') err.push(JSON.stringify({ custom_id: cid, response: null, error: { code: status === 'cancelled' ? 'batch_cancelled' : 'batch_expired', message: 'not run' } }));
    }
    files.set(`${id}-out`, out.join('\n'));
    files.set(`${id}-err`, err.join('\n'));
    return { id, status, outputFileId: `${id}-out`, errorFileId: `${id}-err`, requestCounts: { total: 0, completed: out.length, failed: err.length }, errors: null, endedAtMs: now };
  }
  const running = (id: string, status: ProviderBatchStatus = 'in_progress'): ProviderBatchView => ({ id, status, outputFileId: null, errorFileId: null, requestCounts: { total: 0, completed: 0, failed: 0 }, errors: null, endedAtMs: null });
  const api: BatchApi = {
    uploadFile: async (jsonl) => {
      calls.push('upload');
      if (opts.uploadFails === true) throw new BatchApiError('POST /files: HTTP 400: purpose', false);
      files.set(`file-${files.size}`, jsonl);
      return `file-${files.size - 1}`;
    },
    createBatch: async (fileId) => {
      calls.push('create');
      const id = `batch-${batches.size}`;
      batches.set(id, { input: files.get(fileId)!, polls: 0, cancelled: false });
      return running(id, 'validating');
    },
    getBatch: async (id) => {
      calls.push('get');
      const b = batches.get(id);
      if (b === undefined) throw new BatchApiError(`GET /batches/${id}: HTTP 404`, false);
      b.polls += 1;
      if (b.view !== undefined) return b.view;
      if (b.cancelled) return (b.view = finish(id, 'cancelled'));
      if (b.polls >= (opts.pollsToFinish ?? 3)) return (b.view = finish(id, opts.ending ?? 'completed'));
      return running(id);
    },
    cancelBatch: async (id) => {
      calls.push('cancel');
      batches.get(id)!.cancelled = true;
      return running(id, 'cancelling');
    },
    fileContent: async (id) => {
      calls.push(`download ${id}`);
      return files.get(id)!;
    },
  };
  const deps = {
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    random: () => 0.5,
  };
  return { api, deps, calls, sleeps, setNow: (t: number) => (now = t) };
}

const batchOf = (n: number, over: (i: number) => Parameters<typeof sampleRoutedRequest>[0] = () => ({})): RoutedBatchV2 =>
  sampleRoutedBatch({ batchId: 'rb-1', model: 'm', requests: Array.from({ length: n }, (_, i) => sampleRoutedRequest({ requestId: `r${i}`, prompt: `q${i}`, deadline: null, ...over(i) })) });

function perRequestSpy() {
  const seen: string[][] = [];
  const fn = async (b: RoutedBatchV2): Promise<ExecutionResult[]> => {
    seen.push(b.requests.map((r) => r.requestId));
    return b.requests.map((r) => ({ requestId: r.requestId, success: true, promptTokens: 1, completionTokens: 1, latencyMs: 5, error: null, costUsd: 0.004, statusCode: 200, response: '{}' }));
  };
  return { seen, fn };
}

const exactlyOnce = (batch: RoutedBatchV2, results: readonly ExecutionResult[]): void => {
  expect(results.map((r) => r.requestId).sort()).toEqual(batch.requests.map((r) => r.requestId).sort());
};

describe('chooseBatchApi', () => {
  it('uses the batch API only for enough requests, unique ids and deadlines far enough away', () => {
    expect(chooseBatchApi(batchOf(3), settings, 0)).toEqual({ use: true });
    expect(chooseBatchApi(batchOf(3), null, 0).use).toBe(false);
    expect(chooseBatchApi(batchOf(1), settings, 0)).toMatchObject({ use: false, why: expect.stringMatching(/fewer than minBatchRequests/) });
    expect(chooseBatchApi(batchOf(3, () => ({ requestId: 'same' })), settings, 0)).toMatchObject({ use: false, why: expect.stringMatching(/repeat/) });
    expect(chooseBatchApi(batchOf(3, (i) => ({ deadline: i === 1 ? 3_599_999 : null })), settings, 0)).toMatchObject({ use: false, why: expect.stringMatching(/earliest deadline/) });
    expect(chooseBatchApi(batchOf(3, () => ({ deadline: 3_600_000 })), settings, 0)).toEqual({ use: true });
  });

  it('cancels before the earliest deadline, keeping the fallback margin, or after maxWaitMs', () => {
    expect(cancelAtMs(batchOf(2).requests, settings, 1_000)).toBe(601_000);
    expect(cancelAtMs(batchOf(2, (i) => ({ deadline: i === 0 ? 200_000 : null })).requests, settings, 1_000)).toBe(140_000);
  });
});

describe('provider batch runner', () => {
  it('answers every request from one provider batch at the batch price, polling with a growing interval', async () => {
    const p = fakeProvider(() => 'ok', { pollsToFinish: 5 });
    const ledger = memoryLedger();
    const spy = perRequestSpy();
    const batch = batchOf(4);
    const events: unknown[] = [];
    const results = await createProviderBatchRunner(endpoint, settings, p.api, ledger, spy.fn, { ...p.deps, onEvent: (e) => events.push(e) }).run(batch, new AbortController().signal);
    exactlyOnce(batch, results);
    expect(spy.seen).toEqual([]);
    expect(events).toEqual([
      { type: 'submitted', batchId: 'rb-1', providerBatchId: 'batch-0', requests: 4 },
      { type: 'ended', batchId: 'rb-1', providerBatchId: 'batch-0', status: 'completed', answered: 4, unanswered: 0, unreadableLines: 0 },
    ]);
    expect(results.every((r) => r.error === null && r.statusCode === 200 && r.promptTokens === 1000)).toBe(true);
    // 1000 + 1000 tokens at 1 USD per 1k (the batch price), not 2 (the standard one).
    expect(results.every((r) => r.costUsd === 2)).toBe(true);
    expect(results.every((r) => r.latencyMs === p.sleeps.reduce((a, b) => a + b, 0))).toBe(true);
    expect(p.calls.filter((c) => c === 'upload' || c === 'create')).toEqual(['upload', 'create']);
    expect(p.sleeps).toEqual([1_000, 1_500, 2_250, 3_375]);
    expect([...ledger.records.values()]).toEqual([expect.objectContaining({ routedBatchId: 'rb-1', model: 'm', providerBatchId: 'batch-0', requests: 4, status: 'completed' })]);
  });

  it('sends failed, missing and expired lines to the per-request path once, keeps permanent errors, and never calls invalid bodies', async () => {
    const fates: Record<string, 'ok' | 'error500' | 'error400' | 'missing' | 'expired'> = { r0: 'ok', r1: 'error500', r2: 'error400', r3: 'missing', r4: 'expired', r5: 'ok' };
    const p = fakeProvider((id) => fates[id] ?? 'ok', { ending: 'expired' });
    const spy = perRequestSpy();
    const batch = batchOf(7, (i) => (i === 6 ? { body: '{"model":' } : {}));
    const results = await createProviderBatchRunner(endpoint, settings, p.api, memoryLedger(), spy.fn, p.deps).run(batch, new AbortController().signal);
    exactlyOnce(batch, results);
    expect(spy.seen).toEqual([['r1', 'r3', 'r4']]);
    const by = new Map(results.map((r) => [r.requestId, r]));
    expect(by.get('r2')!.error).toMatch(/^model_failed_permanently: HTTP 400/);
    expect(by.get('r6')!.error).toMatch(/^invalid_body: /);
    expect([by.get('r0')!.costUsd, by.get('r5')!.costUsd]).toEqual([2, 2]);
  });

  it('ends unanswered requests as errors with the reason when so configured', async () => {
    const p = fakeProvider((id) => (id === 'r1' ? 'missing' : 'ok'));
    const spy = perRequestSpy();
    const batch = batchOf(3);
    const results = await createProviderBatchRunner(endpoint, { ...settings, unanswered: 'error' }, p.api, memoryLedger(), spy.fn, p.deps).run(batch, new AbortController().signal);
    exactlyOnce(batch, results);
    expect(spy.seen).toEqual([]);
    expect(results.find((r) => r.requestId === 'r1')!.error).toMatch(/^provider_batch_unanswered: missing from the output and error files \(provider batch batch-0, completed\)/);
  });

  it('resumes the remembered provider batch after a stop instead of submitting again', async () => {
    const p = fakeProvider(() => 'ok', { pollsToFinish: 4 });
    const ledger = memoryLedger();
    const batch = batchOf(3);
    const stop = new AbortController();
    const stopping = { ...p.deps, sleep: async (ms: number) => {
      await p.deps.sleep(ms);
      stop.abort();
    } };
    await expect(createProviderBatchRunner(endpoint, settings, p.api, ledger, perRequestSpy().fn, stopping).run(batch, stop.signal)).rejects.toBeInstanceOf(CallAborted);
    expect(ledger.records.size).toBe(1);
    // A new process: same ledger (Postgres), new runner; the routed batch is consumed again.
    const events: string[] = [];
    const results = await createProviderBatchRunner(endpoint, settings, p.api, ledger, perRequestSpy().fn, { ...p.deps, onEvent: (e) => events.push(e.type) }).run(batch, new AbortController().signal);
    exactlyOnce(batch, results);
    expect(events).toEqual(['resumed', 'ended']);
    expect(p.calls.filter((c) => c === 'upload' || c === 'create')).toEqual(['upload', 'create']);
  });

  it('resumes a remembered provider batch even when its deadline is now too near for a new one', async () => {
    const p = fakeProvider(() => 'ok');
    const ledger = memoryLedger();
    const runner = createProviderBatchRunner(endpoint, settings, p.api, ledger, perRequestSpy().fn, p.deps);
    const near = batchOf(3, () => ({ deadline: 1_000_000 }));
    expect(await runner.decide(near)).toMatchObject({ use: false });
    await ledger.save({ routedBatchId: 'rb-1', model: 'm', providerBatchId: 'batch-0', inputFileId: 'f', requests: 3, status: 'in_progress', submittedAtMs: 0 });
    expect(await runner.decide(near)).toEqual({ use: true });
    expect(await runner.decide(batchOf(1))).toEqual({ use: true });
  });

  it('cancels a batch that runs into the deadline margin and calls the rest one by one', async () => {
    const p = fakeProvider(() => 'ok', { pollsToFinish: 1_000 });
    const spy = perRequestSpy();
    const batch = batchOf(3, () => ({ deadline: 3_700_000 }));
    const results = await createProviderBatchRunner(endpoint, { ...settings, maxWaitMs: 10_000 }, p.api, memoryLedger(), spy.fn, p.deps).run(batch, new AbortController().signal);
    exactlyOnce(batch, results);
    expect(p.calls).toContain('cancel');
    expect(spy.seen).toEqual([['r0', 'r1', 'r2']]);
    // Never waits past the cancel time before cancelling.
    expect(p.sleeps.slice(0, -1).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(10_000);
  });

  it('uses the per-request path when the provider refuses the upload or forgets the batch', async () => {
    const refused = fakeProvider(() => 'ok', { uploadFails: true });
    const spy = perRequestSpy();
    const batch = batchOf(2);
    exactlyOnce(batch, await createProviderBatchRunner(endpoint, settings, refused.api, memoryLedger(), spy.fn, refused.deps).run(batch, new AbortController().signal));
    expect(spy.seen).toEqual([['r0', 'r1']]);
    const forgot = fakeProvider(() => 'ok');
    const ledger = memoryLedger();
    await ledger.save({ routedBatchId: 'rb-1', model: 'm', providerBatchId: 'batch-gone', inputFileId: 'f', requests: 2, status: 'in_progress', submittedAtMs: 0 });
    const spy2 = perRequestSpy();
    exactlyOnce(batch, await createProviderBatchRunner(endpoint, settings, forgot.api, ledger, spy2.fn, forgot.deps).run(batch, new AbortController().signal));
    expect(spy2.seen).toEqual([['r0', 'r1']]);
    expect(forgot.calls).not.toContain('upload');
  });
});
