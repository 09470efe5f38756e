import { describe, expect, it } from 'vitest';
import { checkAnthropicLine } from '../../src/source/anthropic-batch.ts';

const line = (over: Record<string, unknown> = {}, params: Record<string, unknown> = {}): Record<string, unknown> => ({
  custom_id: 'my-first-request',
  params: { model: 'claude-3-5-haiku-latest', max_tokens: 1024, messages: [{ role: 'user', content: 'Hello, world' }], ...params },
  ...over,
});

describe('checkAnthropicLine', () => {
  it('reads custom_id, the pinned model, max_tokens, system and messages, and keeps params whole', () => {
    const raw = line({}, { system: [{ type: 'text', text: 'You are terse.' }], messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }] });
    expect(checkAnthropicLine(raw)).toEqual({
      ok: true,
      line: { customId: 'my-first-request', model: 'claude-3-5-haiku-latest', maxOutputTokens: 1024, prompt: 'Hi\n\nYou are terse.', body: JSON.stringify(raw['params']) },
    });
  });

  it('routes "auto"; a system string counts as text', () => {
    expect(checkAnthropicLine(line({}, { model: 'auto', system: 'Be kind.' }))).toMatchObject({ ok: true, line: { model: null, prompt: 'Hello, world\n\nBe kind.' } });
  });

  it('refuses a line without max_tokens (the Messages API requires it)', () => {
    const { max_tokens: _omitted, ...params } = line()['params'] as Record<string, unknown>;
    const r = checkAnthropicLine({ custom_id: 'x', params });
    expect(r).toEqual({ ok: false, error: 'params.max_tokens: is required' });
  });

  it.each([
    ['missing custom_id', line({ custom_id: undefined }), 'custom_id: is required'],
    ['custom_id with spaces', line({ custom_id: 'a b' }), 'custom_id: must be 1 to 64 letters'],
    ['missing params', line({ params: undefined }), 'params: is required'],
    ['missing max_tokens', line({}, { max_tokens: undefined }), 'params.max_tokens: is required'],
    ['negative max_tokens', line({}, { max_tokens: -5 }), 'params.max_tokens: must be at least 1'],
    ['missing messages', line({}, { messages: undefined }), 'params.messages: is required'],
    ['empty messages', line({}, { messages: [] }), 'params.messages: must hold at least one message'],
    ['system role in messages', line({}, { messages: [{ role: 'system', content: 'x' }] }), 'params.messages.0.role: must be user or assistant'],
    ['image only', line({}, { messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AA' } }] }] }), 'no text content'],
    ['malformed system', line({}, { system: 7 }), 'params.system: content must be a string or an array of parts'],
    ['OpenAI shape', { custom_id: 'x', method: 'POST', url: '/v1/chat/completions', body: {} }, 'params: is required'],
  ])('refuses %s', (_name, raw, expected) => {
    const r = checkAnthropicLine(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(expected);
  });
});
