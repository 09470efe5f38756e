import { describe, expect, it } from 'vitest';
import { errorMessage, failure, handBackFor, jsonTextOrNull, mapSuccess } from '../src/response.ts';

const price = { costPer1kPromptTokensUsd: 1, costPer1kCompletionTokensUsd: 2 };
const completion = (usage: unknown) => JSON.stringify({ id: 'c1', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'Paris' }, finish_reason: 'stop' }], usage });

describe('mapSuccess', () => {
  it('takes true usage from the response and prices it with the configured model price', () => {
    const text = completion({ prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 });
    expect(mapSuccess(200, text, price)).toEqual({ statusCode: 200, response: JSON.stringify(JSON.parse(text)), promptTokens: 10, completionTokens: 5, costUsd: 0.02, success: true, error: null, failureReason: null });
  });

  it('is an error outcome with a reason for malformed JSON, no choices or no usage', () => {
    const bad = mapSuccess(200, '{"choices": [', price);
    expect(bad).toMatchObject({ success: false, statusCode: 200, response: null, promptTokens: 0, completionTokens: 0 });
    expect(bad.error).toMatch(/^malformed_response: HTTP 200 body is not JSON/);
    expect(mapSuccess(200, '{"choices":[]}', price).error).toMatch(/^malformed_response: .*no choices/);
    expect(mapSuccess(200, completion(undefined), price).error).toMatch(/^malformed_response: .*usage/);
    expect(mapSuccess(200, completion({ prompt_tokens: -1, completion_tokens: 2 }), price).success).toBe(false);
  });

  it('keeps the response storable in jsonb (no \\u0000)', () => {
    expect(jsonTextOrNull('{"a":"x\\u0000y"}')).toBe('{"a":"xy"}');
    expect(jsonTextOrNull('nope')).toBeNull();
  });
});

describe('errorMessage', () => {
  it('reads OpenAI error bodies and falls back to the text', () => {
    expect(errorMessage('{"error":{"message":"Rate limit","type":"requests"}}')).toBe('Rate limit');
    expect(errorMessage('{"error":"down"}')).toBe('down');
    expect(errorMessage('<html>bad gateway</html>')).toBe('<html>bad gateway</html>');
  });
});

describe('handBackFor: which failures send the request to another model', () => {
  it('hands back a permanent 4xx, retries used up, and a retry budget spent on a failing model', () => {
    expect(handBackFor(failure('model_failed_permanently', 'HTTP 404: no such model', 404, '{"error":{}}'), 1)).toEqual({ reason: 'model_failed_permanently', statusCode: 404, detail: 'HTTP 404: no such model' });
    expect(handBackFor(failure('retries_exhausted', '3 attempts, last HTTP 503: down', 503), 3)).toEqual({ reason: 'retries_exhausted', statusCode: 503, detail: '3 attempts, last HTTP 503: down' });
    expect(handBackFor(failure('retries_exhausted', '3 attempts, last timed out'), 3)).toMatchObject({ reason: 'retries_exhausted', statusCode: null });
    expect(handBackFor(failure('deadline_exceeded', 'after 2 attempts, last HTTP 500'), 2)).toMatchObject({ reason: 'deadline_exceeded' });
  });

  it('keeps as errors what another model would not fix or what never reached the model', () => {
    expect(handBackFor(failure('invalid_body', 'no messages'), 0)).toBeNull();
    expect(handBackFor(failure('malformed_response', 'HTTP 200 body has no choices', 200), 1)).toBeNull();
    expect(handBackFor(failure('deadline_exceeded', 'rate limit wait passes the time limit'), 0)).toBeNull();
    expect(handBackFor(failure('provider_batch_unanswered', 'expired'), 0)).toBeNull();
    expect(handBackFor(mapSuccess(200, completion({ prompt_tokens: 1, completion_tokens: 1 }), price), 1)).toBeNull();
  });
});
