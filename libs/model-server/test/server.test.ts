import { afterEach, describe, expect, it } from 'vitest';
import { defaultDatasetPath, loadDataset } from '@switchyard/datasets';
import type { Dataset } from '@switchyard/datasets';
import { createAnswerBook, decideFault, startModelServer } from '../src/index.ts';
import type { ModelServer } from '../src/index.ts';

// A two-query dataset in memory, shaped as loadDataset(..., { keepResponses: true }) returns it.
const data: Dataset = {
  name: 'tiny',
  format: 'routerbench-csv',
  models: ['model-a', 'model-b'],
  history: [{ id: 'q1', task: 't', prompt: 'Capital of France?', quality: Float64Array.from([1, 0]), cost: Float64Array.from([0.1, 0.2]), tokens: Float64Array.from([9, 12]), promptTokens: 5, responses: ['Paris', 'Lyon, probably'] }],
  test: [],
};

let server: ModelServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

const post = (s: ModelServer, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${s.baseUrl}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
const chat = (model: string, prompt: string) => ({ model, messages: [{ role: 'system', content: 'sys' }, { role: 'user', content: prompt }] });

describe('model server', () => {
  it('answers with the recorded response and token counts of the dataset', async () => {
    server = await startModelServer({ book: createAnswerBook(data) });
    const res = await post(server, chat('model-b', 'Capital of France?'));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { choices: Array<{ message: { content: string } }>; usage: Record<string, number> };
    expect(body.choices[0]!.message.content).toBe('Lyon, probably');
    expect(body.usage).toEqual({ prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 });
  });

  it('generates a deterministic answer for prompts and models the dataset lacks, or 404s unknown models when asked', async () => {
    server = await startModelServer({ book: createAnswerBook(data) });
    const a = (await (await post(server, chat('other', 'Hello there'))).json()) as { choices: Array<{ message: { content: string } }> };
    const b = (await (await post(server, chat('other', 'Hello there'))).json()) as { choices: Array<{ message: { content: string } }> };
    expect(a.choices[0]!.message.content).toBe(b.choices[0]!.message.content);
    expect(a.choices[0]!.message.content).toMatch(/generated/);
    await server.close();
    server = await startModelServer({ book: createAnswerBook(data, { anyModel: false }), apiKey: 'k' });
    expect((await post(server, chat('model-a', 'x'), { authorization: 'Bearer k' })).status).toBe(200);
    expect((await post(server, chat('nope', 'x'), { authorization: 'Bearer k' })).status).toBe(404);
    expect((await post(server, chat('model-a', 'x'))).status).toBe(401);
    expect((await post(server, { model: 'model-a' }, { authorization: 'Bearer k' })).status).toBe(400);
  });

  it('injects 429 with Retry-After on the first attempts, then answers', async () => {
    server = await startModelServer({ book: createAnswerBook(data), faults: { rateLimited: { share: 1, attempts: 2, retryAfterSeconds: 3 } } });
    const first = await post(server, chat('model-a', 'p'));
    expect([first.status, first.headers.get('retry-after')]).toEqual([429, '3']);
    expect((await post(server, chat('model-a', 'p'))).status).toBe(429);
    expect((await post(server, chat('model-a', 'p'))).status).toBe(200);
    expect(server.stats().byKind).toEqual({ rate_limited: 2, ok: 1 });
  });

  it('injects 500s, malformed 200s and a model that is down for a period', async () => {
    let t = 0;
    server = await startModelServer({ book: createAnswerBook(data), now: () => t, faults: { serverErrors: { share: 1, attempts: 1, status: 502 }, down: [{ model: 'model-b', fromMs: 100, forMs: 50 }] } });
    expect((await post(server, chat('model-a', 'p'))).status).toBe(502);
    expect((await post(server, chat('model-a', 'p'))).status).toBe(200);
    t = 120;
    expect((await post(server, chat('model-b', 'q'))).status).toBe(503);
    t = 150;
    expect((await post(server, chat('model-b', 'q2'))).status).toBe(502); // up again: its own first attempt
    server.setFaults({ malformed: { share: 1 } });
    const bad = await post(server, chat('model-a', 'r'));
    expect(bad.status).toBe(200);
    await expect(bad.text().then((x) => JSON.parse(x))).rejects.toThrow();
  });

  it('fails a model permanently: the same 4xx on every attempt, other models unaffected', async () => {
    server = await startModelServer({ book: createAnswerBook(data), faults: { permanent: [{ model: 'model-a' }, { model: 'model-b', share: 1, status: 400 }] } });
    for (let i = 0; i < 3; i++) {
      const res = await post(server, chat('model-a', 'p'));
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
    }
    expect((await post(server, chat('model-b', 'p'))).status).toBe(400);
    server.setFaults({ permanent: [{ model: 'model-a' }] });
    expect((await post(server, chat('model-b', 'p'))).status).toBe(200);
    expect(server.stats().byKind).toEqual({ permanent: 4, ok: 1 });
  });

  it('hangs until the client gives up', async () => {
    server = await startModelServer({ book: createAnswerBook(data), faults: { hangs: { share: 1, attempts: 1 } } });
    await expect(fetch(`${server.baseUrl}/chat/completions`, { method: 'POST', body: JSON.stringify(chat('model-a', 'p')), signal: AbortSignal.timeout(200) })).rejects.toThrow();
    expect((await post(server, chat('model-a', 'p'))).status).toBe(200);
  });
});

describe('decideFault', () => {
  it('hits about `share` of requests, the same ones every time', () => {
    const f = { serverErrors: { share: 0.3, attempts: 1 } };
    const hit = Array.from({ length: 2_000 }, (_, i) => decideFault(f, 'm', `k${i}`, 1, 0, 0) !== null);
    const share = hit.filter(Boolean).length / hit.length;
    expect(share).toBeGreaterThan(0.25);
    expect(share).toBeLessThan(0.35);
    expect(Array.from({ length: 2_000 }, (_, i) => decideFault(f, 'm', `k${i}`, 1, 0, 0) !== null)).toEqual(hit);
    expect(Array.from({ length: 2_000 }, (_, i) => decideFault(f, 'm', `k${i}`, 2, 0, 0))).toEqual(Array.from({ length: 2_000 }, () => null));
  });

  it('fails `share` of a model\'s requests permanently, on every attempt, before any transient fault', () => {
    const f = { permanent: [{ model: 'm', share: 0.5 }], serverErrors: { share: 1, attempts: 1 } };
    const first = Array.from({ length: 1_000 }, (_, i) => decideFault(f, 'm', `k${i}`, 1, 0, 0)?.kind);
    const share = first.filter((k) => k === 'permanent').length / first.length;
    expect(share).toBeGreaterThan(0.45);
    expect(share).toBeLessThan(0.55);
    expect(first.filter((k) => k !== 'permanent').every((k) => k === 'server_error')).toBe(true);
    const fifth = Array.from({ length: 1_000 }, (_, i) => decideFault(f, 'm', `k${i}`, 5, 0, 0)?.kind === 'permanent');
    expect(fifth).toEqual(first.map((k) => k === 'permanent'));
    expect(decideFault(f, 'other', 'k1', 2, 0, 0)).toBeNull();
  });

  it('gives Retry-After as an HTTP date when asked', () => {
    const fault = decideFault({ rateLimited: { share: 1, attempts: 1, retryAfterSeconds: 2, httpDate: true } }, 'm', 'k', 1, 0, Date.parse('2026-01-01T00:00:00Z'));
    expect(fault).toEqual({ kind: 'rate_limited', retryAfter: 'Thu, 01 Jan 2026 00:00:02 GMT' });
  });
});

describe('model server over the RouterBench subset', () => {
  const path = defaultDatasetPath();
  it.skipIf(path === undefined)('answers a dataset prompt with that model\'s recorded response', async () => {
    const ds = await loadDataset(path!, { keepResponses: true, countTokens: false });
    const q = ds.test.find((x) => x.responses?.[0] !== undefined)!;
    server = await startModelServer({ book: createAnswerBook(ds) });
    const body = (await (await post(server, chat(ds.models[0]!, q.prompt))).json()) as { choices: Array<{ message: { content: string } }> };
    expect(body.choices[0]!.message.content).toBe(q.responses![0]);
  });
});
