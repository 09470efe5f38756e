import { describe, expect, it } from 'vitest';
import { errorMessage, jsonTextOrNull, mapSuccess } from '../src/response.ts';

const price = { costPer1kPromptTokensUsd: 1, costPer1kCompletionTokensUsd: 2 };
const completion = (usage: unknown) => JSON.stringify({ id: 'c1', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'Paris' }, finish_reason: 'stop' }], usage });

describe('mapSuccess', () => {
  it('takes true usage from the response and prices it with the configured model price', () => {
    const text = completion({ prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 });
    expect(mapSuccess(200, text, price)).toEqual({ statusCode: 200, response: JSON.stringify(JSON.parse(text)), promptTokens: 10, completionTokens: 5, costUsd: 0.02, success: true, error: null });
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
