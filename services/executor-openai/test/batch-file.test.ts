import { describe, expect, it } from 'vitest';
import { batchPrice, lineVerdict, parseBatchOutput, writeBatchInput } from '../src/batch-file.ts';

const completion = (p: number, c: number) => ({ object: 'chat.completion', choices: [{ message: { role: 'assistant', content: 'x' } }], usage: { prompt_tokens: p, completion_tokens: c } });
const out = (customId: string, status: number, body: unknown) => JSON.stringify({ id: `batch_req_${customId}`, custom_id: customId, response: { status_code: status, request_id: 'r', body }, error: null });
const notRun = (customId: string, code: string) => JSON.stringify({ id: `batch_req_${customId}`, custom_id: customId, response: null, error: { code, message: `${code} happened` } });
const price = { costPer1kPromptTokensUsd: 2, costPer1kCompletionTokensUsd: 4, batchCostPer1kPromptTokensUsd: 1, batchCostPer1kCompletionTokensUsd: 2 };

describe('writeBatchInput', () => {
  it('writes one OpenAI batch request a line, custom_id first, bodies unchanged', () => {
    const body = { model: 'up', messages: [{ role: 'user', content: 'a\nb "q"' }], max_tokens: 5 };
    const text = writeBatchInput([{ customId: 'job-L1', body }, { customId: 'job-L2', body: { ...body, max_tokens: 7 } }]);
    const lines = text.split('\n');
    expect(lines.length).toBe(3);
    expect(lines[2]).toBe('');
    expect(JSON.parse(lines[0]!)).toEqual({ custom_id: 'job-L1', method: 'POST', url: '/v1/chat/completions', body });
    expect(JSON.parse(lines[1]!).body.max_tokens).toBe(7);
  });
});

describe('parseBatchOutput', () => {
  it('reads output and error files together, one line per custom_id, problems by line number', () => {
    const output = [out('a', 200, completion(3, 4)), '', 'not json', out('b', 200, completion(1, 1))].join('\n');
    const errors = [out('c', 500, { error: { message: 'boom' } }), notRun('d', 'batch_expired'), JSON.stringify({ custom_id: 'e' }), out('b', 500, { error: { message: 'late' } })].join('\n');
    const parsed = parseBatchOutput([output, errors]);
    expect([...parsed.lines.keys()].sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(parsed.lines.get('b')!.statusCode).toBe(200);
    expect(parsed.lines.get('d')).toMatchObject({ statusCode: null, errorCode: 'batch_expired' });
    expect(parsed.problems).toEqual([{ file: 0, line: 3, detail: expect.stringMatching(/^not JSON/) }, { file: 1, line: 3, detail: 'neither response.status_code nor error' }]);
  });

  it('keeps an answered line over an earlier failed one for the same custom_id', () => {
    const parsed = parseBatchOutput([out('a', 500, {}), out('a', 200, completion(1, 1))]);
    expect(parsed.lines.get('a')!.statusCode).toBe(200);
  });
});

describe('lineVerdict', () => {
  const line = (text: string) => parseBatchOutput([text]).lines.values().next().value;
  it('prices an answered line at the batch price, with the usage the provider reported', () => {
    const v = lineVerdict(line(out('a', 200, completion(1000, 500))), batchPrice(price));
    expect(v.kind).toBe('final');
    if (v.kind !== 'final') return;
    expect(v.outcome).toMatchObject({ success: true, statusCode: 200, promptTokens: 1000, completionTokens: 500, error: null });
    expect(v.outcome.costUsd).toBeCloseTo(1 + 1, 12);
    expect(JSON.parse(v.outcome.response!)).toMatchObject({ object: 'chat.completion' });
  });

  it('falls back to the standard price when the model has no batch price', () => {
    const v = lineVerdict(line(out('a', 200, completion(1000, 500))), batchPrice({ costPer1kPromptTokensUsd: 2, costPer1kCompletionTokensUsd: 4 }));
    expect(v.kind === 'final' && v.outcome.costUsd).toBeCloseTo(4, 12);
  });

  it('ends permanent 4xx and malformed answers as the per-request path would, and leaves the rest unanswered', () => {
    const p = batchPrice(price);
    const perm = lineVerdict(line(out('a', 400, { error: { message: 'bad max_tokens' } })), p);
    expect(perm.kind === 'final' && perm.outcome.error).toMatch(/^model_failed_permanently: HTTP 400: bad max_tokens/);
    const malformed = lineVerdict(line(out('a', 200, { id: 'x' })), p);
    expect(malformed.kind === 'final' && malformed.outcome.error).toMatch(/^malformed_response: /);
    expect(lineVerdict(line(out('a', 503, { error: { message: 'down' } })), p)).toEqual({ kind: 'unanswered', detail: 'HTTP 503: down' });
    expect(lineVerdict(line(notRun('a', 'batch_expired')), p)).toEqual({ kind: 'unanswered', detail: 'not executed (batch_expired: batch_expired happened)' });
    expect(lineVerdict(undefined, p)).toEqual({ kind: 'unanswered', detail: 'missing from the output and error files' });
  });
});
