import { afterEach, describe, expect, it } from 'vitest';
import { createAnswerBook, startModelServer } from '../src/index.ts';
import type { FaultOptions, ModelServer } from '../src/index.ts';

let server: ModelServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

const auth = { authorization: 'Bearer k' };
const line = (i: number, over: Record<string, unknown> = {}) =>
  JSON.stringify({ custom_id: `c-${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'm', messages: [{ role: 'user', content: `question ${i}` }] }, ...over });

async function upload(s: ModelServer, text: string, purpose = 'batch'): Promise<Response> {
  const form = new FormData();
  form.set('purpose', purpose);
  form.set('file', new Blob([text]), 'input.jsonl');
  return fetch(`${s.baseUrl}/files`, { method: 'POST', headers: auth, body: form });
}

async function json<T>(res: Response): Promise<T> {
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as T;
}

interface BatchView {
  id: string;
  status: string;
  output_file_id: string | null;
  error_file_id: string | null;
  request_counts: { total: number; completed: number; failed: number };
  errors: { data: Array<{ code: string; line: number | null }> } | null;
}

async function runBatch(s: ModelServer, text: string): Promise<BatchView> {
  const file = await json<{ id: string; purpose: string; bytes: number }>(await upload(s, text));
  expect(file.purpose).toBe('batch');
  expect(file.bytes).toBe(Buffer.byteLength(text));
  const created = await json<BatchView>(await fetch(`${s.baseUrl}/batches`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }) }));
  expect(created.status).toBe('validating');
  for (;;) {
    const b = await json<BatchView>(await fetch(`${s.baseUrl}/batches/${created.id}`, { headers: auth }));
    if (['completed', 'failed', 'expired', 'cancelled'].includes(b.status)) return b;
    await new Promise((r) => setTimeout(r, 5));
  }
}

type OutLine = { custom_id: string; response: { status_code: number; body: { usage?: { prompt_tokens: number } } } | null; error: { code: string } | null };
async function lines(s: ModelServer, fileId: string | null): Promise<OutLine[]> {
  if (fileId === null) return [];
  const text = await (await fetch(`${s.baseUrl}/files/${fileId}/content`, { headers: auth })).text();
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as OutLine);
}

const start = (faults: FaultOptions = {}) => startModelServer({ book: createAnswerBook(null), apiKey: 'k', faults });

describe('model server Batch API', () => {
  it('answers every line of a batch file as the chat route would, in the output file', async () => {
    server = await start();
    const b = await runBatch(server, [line(1), line(2), line(3)].join('\n'));
    expect([b.status, b.request_counts]).toEqual(['completed', { total: 3, completed: 3, failed: 0 }]);
    expect(b.error_file_id).toBeNull();
    const out = await lines(server, b.output_file_id);
    expect(out.map((l) => l.custom_id).sort()).toEqual(['c-1', 'c-2', 'c-3']);
    const direct = (await (await fetch(`${server.baseUrl}/chat/completions`, { method: 'POST', headers: auth, body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'question 1' }] }) })).json()) as { usage: unknown; choices: unknown };
    const first = out.find((l) => l.custom_id === 'c-1')!;
    expect(first.response!.status_code).toBe(200);
    expect(first.response!.body).toMatchObject({ usage: direct.usage, choices: direct.choices });
    expect(server.stats().byKind.batch_ok).toBe(3);
    expect(server.stats().batchesCreated).toEqual([{ id: b.id, metadata: null }]);
  });

  it('puts failed lines in the error file, leaves missing ones out, and expires part-way', async () => {
    server = await start({ batch: { lineErrors: { share: 0.3, status: 500 }, missing: { share: 0.1 } } });
    const n = 200;
    const text = Array.from({ length: n }, (_, i) => line(i)).join('\n');
    const b = await runBatch(server, text);
    const out = await lines(server, b.output_file_id);
    const err = await lines(server, b.error_file_id);
    expect(b.status).toBe('completed');
    expect(err.length).toBeGreaterThan(0);
    expect(err.every((l) => l.response?.status_code === 500 && l.error === null)).toBe(true);
    const missing = n - out.length - err.length;
    expect(missing).toBeGreaterThan(0);
    expect(missing).toBe(server.stats().byKind.batch_missing);
    expect(b.request_counts).toEqual({ total: n, completed: out.length, failed: err.length });
    expect(new Set([...out, ...err].map((l) => l.custom_id)).size).toBe(out.length + err.length);

    server.setFaults({ batch: { expireAfterLines: 2 } });
    const e = await runBatch(server, [line(1), line(2), line(3), line(4)].join('\n'));
    expect(e.status).toBe('expired');
    expect((await lines(server, e.output_file_id)).length).toBe(2);
    expect((await lines(server, e.error_file_id)).map((l) => [l.custom_id, l.error?.code])).toEqual([['c-3', 'batch_expired'], ['c-4', 'batch_expired']]);
  });

  it('cancels a batch in progress, keeping the lines already answered', async () => {
    server = await start({ batch: { lineMs: 20 } });
    const file = await json<{ id: string }>(await upload(server, Array.from({ length: 50 }, (_, i) => line(i)).join('\n')));
    const created = await json<BatchView>(await fetch(`${server.baseUrl}/batches`, { method: 'POST', headers: auth, body: JSON.stringify({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }) }));
    const cancelling = await json<BatchView>(await fetch(`${server.baseUrl}/batches/${created.id}/cancel`, { method: 'POST', headers: auth }));
    expect(cancelling.status).toBe('cancelling');
    let b = cancelling;
    while (b.status === 'cancelling') b = await json<BatchView>(await fetch(`${server.baseUrl}/batches/${created.id}`, { headers: auth }));
    expect(b.status).toBe('cancelled');
    const err = await lines(server, b.error_file_id);
    expect(err.length + (await lines(server, b.output_file_id)).length).toBe(50);
    expect(err.every((l) => l.error?.code === 'batch_cancelled')).toBe(true);
  });

  it('fails a batch whose input is invalid, naming the line, and refuses bad requests', async () => {
    server = await start();
    const dup = await runBatch(server, [line(1), line(1)].join('\n'));
    expect([dup.status, dup.errors?.data[0]]).toEqual(['failed', expect.objectContaining({ code: 'duplicate_custom_id', line: 2 })]);
    const url = await runBatch(server, [line(1), line(2, { url: '/v1/embeddings' })].join('\n'));
    expect(url.errors?.data[0]).toMatchObject({ code: 'mismatched_endpoint', line: 2 });
    expect((await upload(server, line(1), 'fine-tune')).status).toBe(400);
    const file = await json<{ id: string }>(await upload(server, line(1)));
    const post = (body: unknown) => fetch(`${server!.baseUrl}/batches`, { method: 'POST', headers: auth, body: JSON.stringify(body) });
    expect((await post({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '1h' })).status).toBe(400);
    expect((await post({ input_file_id: 'file-nope', endpoint: '/v1/chat/completions', completion_window: '24h' })).status).toBe(404);
    expect((await fetch(`${server.baseUrl}/batches/batch_nope`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${server.baseUrl}/files/${file.id}`)).status).toBe(401);
  });
});
