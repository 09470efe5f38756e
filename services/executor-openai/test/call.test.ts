import { describe, expect, it } from 'vitest';
import { CallAborted, callChatCompletions } from '../src/call.ts';
import type { CallDeps, FetchLike } from '../src/call.ts';

type Step = { status: number; body?: string; retryAfter?: string } | 'timeout' | 'refused';

const ok = JSON.stringify({ choices: [{ message: { role: 'assistant', content: 'x' } }], usage: { prompt_tokens: 3, completion_tokens: 4 } });
const retry = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1_000, maxTotalMs: 60_000 };
const target = { url: 'http://model/v1/chat/completions', apiKey: 'sk-secret', requestTimeoutMs: 5_000, price: { costPer1kPromptTokensUsd: 1, costPer1kCompletionTokensUsd: 1 } };

// A virtual clock: sleeps and timeouts advance it instead of waiting.
function scripted(steps: Step[]) {
  let now = 1_000_000;
  const waits: number[] = [];
  const calls: Array<{ headers: Record<string, string>; body: string }> = [];
  const fetch: FetchLike = async (_url, init) => {
    calls.push({ headers: init.headers, body: init.body });
    const step = steps.shift() ?? { status: 200, body: ok };
    if (step === 'refused') throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') });
    if (step === 'timeout') {
      // Hang until the attempt's timeout aborts us.
      await new Promise<void>((_, reject) => init.signal.addEventListener('abort', () => reject(new Error('aborted'))));
    }
    const s = step as { status: number; body?: string; retryAfter?: string };
    return { status: s.status, headers: { get: (n: string) => (n === 'retry-after' ? (s.retryAfter ?? null) : null) }, text: async () => s.body ?? '{"error":{"message":"boom"}}' };
  };
  const deps: CallDeps = {
    fetch,
    now: () => now,
    sleep: async (ms) => {
      waits.push(ms);
      now += ms;
    },
    random: () => 0.5,
  };
  return { deps, waits, calls, advance: (ms: number) => (now += ms), now: () => now };
}

const run = (steps: Step[], over: Partial<typeof retry> = {}, t = target) => {
  const s = scripted(steps);
  const promise = callChatCompletions(t, '{"model":"m"}', { ...retry, ...over }, s.now() + (over.maxTotalMs ?? retry.maxTotalMs), new AbortController().signal, s.deps);
  return { ...s, promise };
};

describe('callChatCompletions', () => {
  it('returns the answer with true usage, sending the key as a bearer token', async () => {
    const r = run([{ status: 200, body: ok }]);
    await expect(r.promise).resolves.toMatchObject({ success: true, statusCode: 200, promptTokens: 3, completionTokens: 4, attempts: 1, error: null });
    expect(r.calls[0]!.headers.authorization).toBe('Bearer sk-secret');
  });

  it('retries 429 after Retry-After (seconds and HTTP date) and 5xx with jittered backoff', async () => {
    const r = run([{ status: 429, retryAfter: '2' }, { status: 500 }, { status: 503 }, { status: 200, body: ok }]);
    await expect(r.promise).resolves.toMatchObject({ success: true, attempts: 4 });
    expect(r.waits).toEqual([2_000, 100, 200]);
    // The scripted clock starts at epoch 1_000_000 ms, a whole second, so the date is exact.
    const d = run([{ status: 429, retryAfter: new Date(1_003_000).toUTCString() }, { status: 200, body: ok }]);
    await d.promise;
    expect(d.waits).toEqual([3_000]);
  });

  it('retries connection errors and 408/409', async () => {
    const r = run(['refused', { status: 408 }, { status: 409 }, { status: 200, body: ok }]);
    await expect(r.promise).resolves.toMatchObject({ success: true, attempts: 4 });
  });

  it('retries an attempt that hangs past requestTimeoutMs', async () => {
    const r = run(['timeout', { status: 200, body: ok }], {}, { ...target, requestTimeoutMs: 20 });
    await expect(r.promise).resolves.toMatchObject({ success: true, attempts: 2 });
  });

  it('gives up after maxAttempts with the last failure as the reason', async () => {
    const r = run([{ status: 500 }, { status: 502 }, { status: 503 }], { maxAttempts: 3 });
    const res = await r.promise;
    expect(res).toMatchObject({ success: false, attempts: 3, statusCode: 503 });
    expect(res.error).toBe('retries_exhausted: 3 attempts, last HTTP 503: boom');
  });

  it('does not retry permanent 4xx', async () => {
    const r = run([{ status: 400, body: '{"error":{"message":"bad model"}}' }, { status: 200, body: ok }]);
    const res = await r.promise;
    expect(res).toMatchObject({ success: false, attempts: 1, statusCode: 400, response: '{"error":{"message":"bad model"}}' });
    expect(res.error).toBe('model_failed_permanently: HTTP 400: bad model');
  });

  it('does not retry a 200 with malformed JSON', async () => {
    const r = run([{ status: 200, body: 'not json' }, { status: 200, body: ok }]);
    await expect(r.promise).resolves.toMatchObject({ success: false, attempts: 1, statusCode: 200 });
  });

  it('stops when the next wait would pass the total time limit', async () => {
    const r = run([{ status: 429, retryAfter: '120' }], { maxTotalMs: 60_000 });
    const res = await r.promise;
    expect(res.error).toMatch(/^deadline_exceeded: after 1 attempts, last HTTP 429/);
    expect(r.waits).toEqual([]);
  });

  it('throws CallAborted when the executor stops, so the batch is not committed', async () => {
    const s = scripted(['timeout']);
    const stop = new AbortController();
    const p = callChatCompletions(target, '{}', retry, s.now() + 60_000, stop.signal, s.deps);
    stop.abort();
    await expect(p).rejects.toBeInstanceOf(CallAborted);
  });
});
