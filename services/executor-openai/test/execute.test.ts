import { describe, expect, it } from 'vitest';
import { sampleRoutedBatch, sampleRoutedRequest } from '@switchyard/contracts';
import type { CallDeps } from '../src/call.ts';
import type { ModelEndpoint } from '../src/config.ts';
import { createModelRunner } from '../src/execute.ts';

const ok = JSON.stringify({ choices: [{ message: { content: 'x' } }], usage: { prompt_tokens: 2, completion_tokens: 3 } });
const endpoint: ModelEndpoint = {
  model: 'm', upstreamModel: 'up', baseUrl: 'http://model/v1', batchApi: null, chatCompletionsUrl: 'http://model/v1/chat/completions', apiKey: null, concurrency: 1,
  requestsPerMinute: 60, tokensPerMinute: null, requestTimeoutMs: 1_000, price: { costPer1kPromptTokensUsd: 1, costPer1kCompletionTokensUsd: 1 },
};
const retry = { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 100, maxTotalMs: 10_000 };

function virtual() {
  let now = 0;
  const timing = { callMs: 50 };
  const sleeps: number[] = [];
  const bodies: string[] = [];
  const deps: CallDeps = {
    fetch: async (_url, init) => {
      bodies.push(init.body);
      now += timing.callMs;
      return { status: 200, headers: { get: () => null }, text: async () => ok };
    },
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    random: () => 0.5,
  };
  return { deps, sleeps, bodies, timing };
}

describe('createModelRunner', () => {
  it('spaces calls by the request rate, reports call latency without the wait, and ends requests past the batch deadline', async () => {
    const v = virtual();
    const runner = createModelRunner({ ...endpoint, requestsPerMinute: 60 }, retry, v.deps);
    // Drain the bucket: 60 instant calls at once are allowed.
    v.timing.callMs = 0;
    const warm = Array.from({ length: 60 }, (_, i) => sampleRoutedRequest({ requestId: `w${i}` }));
    await runner.executeBatch(sampleRoutedBatch({ requests: warm }), 1e12, new AbortController().signal);
    expect(v.sleeps).toEqual([]);
    v.timing.callMs = 50;
    const next = [sampleRoutedRequest({ requestId: 'a' }), sampleRoutedRequest({ requestId: 'b' })];
    const results = await runner.executeBatch(sampleRoutedBatch({ requests: next }), 1e12, new AbortController().signal);
    expect(v.sleeps.length).toBe(2);
    expect(results.map((r) => [r.requestId, r.error, r.latencyMs])).toEqual([['a', null, 50], ['b', null, 50]]);
    const late = await runner.executeBatch(sampleRoutedBatch({ requests: [sampleRoutedRequest({ requestId: 'c' })] }), v.deps.now() + 10, new AbortController().signal);
    expect(late[0]!.error).toMatch(/^deadline_exceeded: rate limit wait/);
  });

  it('sends the mapped model name and reports invalid bodies without calling', async () => {
    const v = virtual();
    const runner = createModelRunner({ ...endpoint, requestsPerMinute: null }, retry, v.deps);
    const results = await runner.executeBatch(
      sampleRoutedBatch({ requests: [sampleRoutedRequest({ requestId: 'ok', customId: 'c1' }), sampleRoutedRequest({ requestId: 'bad', body: '{"model":' })] }),
      1e12,
      new AbortController().signal,
    );
    expect(JSON.parse(v.bodies[0]!)).toMatchObject({ model: 'up' });
    expect(v.bodies.length).toBe(1);
    expect(results.map((r) => [r.requestId, r.error?.split(':')[0] ?? null])).toEqual([['ok', null], ['bad', 'invalid_body']]);
  });

  it('marks a permanent 4xx and spent retries for hand-back, and not the failures another model would not fix', async () => {
    let now = 0;
    const answers: Record<string, { status: number; text: string }> = {
      gone: { status: 404, text: JSON.stringify({ error: { message: 'The model does not exist' } }) },
      down: { status: 503, text: 'busy' },
      broken: { status: 200, text: '{"choices": [' },
    };
    const deps: CallDeps = {
      fetch: async (_url, init) => {
        const prompt = (JSON.parse(init.body) as { messages: { content: string }[] }).messages.at(-1)!.content;
        const a = answers[prompt] ?? { status: 200, text: ok };
        now += 5;
        return { status: a.status, headers: { get: () => null }, text: async () => a.text };
      },
      now: () => now,
      sleep: async (ms) => {
        now += ms;
      },
      random: () => 0.5,
    };
    const runner = createModelRunner({ ...endpoint, requestsPerMinute: null }, retry, deps);
    const requests = ['gone', 'down', 'broken', 'fine'].map((p) => sampleRoutedRequest({ requestId: p, prompt: p }));
    const results = await runner.executeBatch(sampleRoutedBatch({ requests }), 1e12, new AbortController().signal);
    expect(results.map((r) => [r.requestId, r.handBack?.reason ?? null, r.handBack?.statusCode ?? null])).toEqual([
      ['gone', 'model_failed_permanently', 404],
      ['down', 'retries_exhausted', 503],
      ['broken', null, null],
      ['fine', null, null],
    ]);
    // The error stays set: where the request cannot be handed back it becomes the outcome's error.
    expect(results[0]!.error).toBe('model_failed_permanently: HTTP 404: The model does not exist');
    expect(results[0]!.handBack?.detail).toBe('HTTP 404: The model does not exist');
  });
});
