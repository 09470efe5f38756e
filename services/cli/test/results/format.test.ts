import { describe, expect, it } from 'vitest';
import type { StoredResult } from '@switchyard/store';
import { defaultErrorsFile } from '../../src/results/command.ts';
import { formatAnthropic, formatOpenai, splitError } from '../../src/results/format.ts';

const completion = { id: 'chatcmpl-1', object: 'chat.completion', model: 'gpt-4o-mini', choices: [{ index: 0, message: { role: 'assistant', content: 'Paris' }, finish_reason: 'length' }], usage: { prompt_tokens: 7, completion_tokens: 3 } };
const ok: StoredResult = { requestId: 'job-1:0', customId: 'row-0', model: 'gpt-4o', statusCode: 200, response: completion, error: null, promptTokens: 7, completionTokens: 3, costUsd: 0.0001, latencyMs: 420 };
const failed: StoredResult = { ...ok, requestId: 'job-1:1', customId: 'row-1', statusCode: 503, response: { error: { message: 'down' } }, error: 'retries_exhausted: 6 attempts, last HTTP 503: down', promptTokens: 0, completionTokens: 0, costUsd: null };
const x = { model: 'gpt-4o', costUsd: 0.0001, latencyMs: 420, promptTokens: 7, completionTokens: 3 };

describe('OpenAI batch output', () => {
  it('writes an answer with the response body and the switchyard extension', () => {
    const f = formatOpenai(ok);
    expect(f.ok).toBe(true);
    expect(JSON.parse(f.line)).toEqual({ id: 'job-1:0', custom_id: 'row-0', response: { status_code: 200, request_id: 'job-1:0', body: completion }, error: null, x_switchyard: x });
  });

  it('writes an error with its code and message, and the last response when one arrived', () => {
    const f = formatOpenai(failed);
    expect(f.ok).toBe(false);
    expect(JSON.parse(f.line)).toMatchObject({ custom_id: 'row-1', response: { status_code: 503 }, error: { code: 'retries_exhausted', message: '6 attempts, last HTTP 503: down' } });
    expect(JSON.parse(formatOpenai({ ...failed, statusCode: null, response: null }).line).response).toBeNull();
  });

  it('uses the request id as custom_id for native requests', () => {
    expect(JSON.parse(formatOpenai({ ...ok, customId: null }).line).custom_id).toBe('job-1:0');
  });
});

describe('Anthropic batch output', () => {
  it('writes a succeeded message converted from the chat completion', () => {
    expect(JSON.parse(formatAnthropic(ok).line)).toEqual({
      custom_id: 'row-0',
      result: {
        type: 'succeeded',
        message: { id: 'chatcmpl-1', type: 'message', role: 'assistant', model: 'gpt-4o-mini', content: [{ type: 'text', text: 'Paris' }], stop_reason: 'max_tokens', stop_sequence: null, usage: { input_tokens: 7, output_tokens: 3 } },
      },
      x_switchyard: x,
    });
  });

  it('writes an errored result', () => {
    const f = formatAnthropic(failed);
    expect(f.ok).toBe(false);
    expect(JSON.parse(f.line).result).toEqual({ type: 'errored', error: { type: 'error', error: { type: 'retries_exhausted', message: '6 attempts, last HTTP 503: down' } } });
  });
});

describe('helpers', () => {
  it('splits reasons and names the default errors file', () => {
    expect(splitError('malformed_response: HTTP 200 body is not JSON')).toEqual({ code: 'malformed_response', message: 'HTTP 200 body is not JSON' });
    expect(splitError('boom')).toEqual({ code: 'execution_failed', message: 'boom' });
    expect(defaultErrorsFile('out/results.jsonl')).toBe('out/results.errors.jsonl');
    expect(defaultErrorsFile('results')).toBe('results.errors.jsonl');
  });
});
