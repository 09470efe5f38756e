import { describe, expect, it } from 'vitest';
import { checkOpenAiLine } from '../../src/source/openai-batch.ts';

const line = (over: Record<string, unknown> = {}, body: Record<string, unknown> = {}): Record<string, unknown> => ({
  custom_id: 'req-1',
  method: 'POST',
  url: '/v1/chat/completions',
  body: { model: 'gpt-4o-mini', messages: [{ role: 'system', content: 'You grade essays.' }, { role: 'user', content: 'Grade this.' }], max_tokens: 100, ...body },
  ...over,
});

describe('checkOpenAiLine', () => {
  it('reads custom_id, the pinned model, max_tokens, the routing text, and keeps the body whole', () => {
    const raw = line({}, { temperature: 0.2 });
    const r = checkOpenAiLine(raw);
    expect(r).toEqual({
      ok: true,
      line: { customId: 'req-1', model: 'gpt-4o-mini', maxOutputTokens: 100, prompt: 'Grade this.\n\nYou grade essays.', body: JSON.stringify(raw['body']) },
    });
  });

  it('routes "auto" and an absent model; max_completion_tokens wins over max_tokens', () => {
    const auto = checkOpenAiLine(line({}, { model: 'auto', max_completion_tokens: 40 }));
    expect(auto).toMatchObject({ ok: true, line: { model: null, maxOutputTokens: 40 } });
    const { model: _m, ...noModel } = line()['body'] as Record<string, unknown>;
    expect(checkOpenAiLine(line({ body: { ...noModel, max_tokens: null } }))).toMatchObject({ ok: true, line: { model: null, maxOutputTokens: undefined } });
  });

  it('reads text parts of content arrays and skips images', () => {
    const r = checkOpenAiLine(line({}, { messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this?' }, { type: 'image_url', image_url: { url: 'https://x' } }] }] }));
    expect(r).toMatchObject({ ok: true, line: { prompt: 'what is this?' } });
  });

  it.each([
    ['missing custom_id', line({ custom_id: undefined }), 'custom_id: is required'],
    ['empty custom_id', line({ custom_id: '' }), 'custom_id: must not be empty'],
    ['wrong method', line({ method: 'GET' }), 'method: must be "POST"'],
    ['wrong url', line({ url: '/v1/embeddings' }), 'url: must be "/v1/chat/completions"'],
    ['missing body', line({ body: undefined }), 'body: is required'],
    ['missing messages', line({}, { messages: undefined }), 'body.messages: is required'],
    ['empty messages', line({}, { messages: [] }), 'body.messages: must hold at least one message'],
    ['unknown role', line({}, { messages: [{ role: 'robot', content: 'x' }] }), 'body.messages.0.role: must be one of'],
    ['image only', line({}, { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] }), 'no text content'],
    ['blank text', line({}, { messages: [{ role: 'user', content: '   ' }] }), 'no text content'],
    ['fractional max_tokens', line({}, { max_tokens: 1.5 }), 'body.max_tokens: must be a whole number'],
    ['zero max_completion_tokens', line({}, { max_completion_tokens: 0 }), 'body.max_completion_tokens: must be at least 1'],
    ['text max_tokens', line({}, { max_tokens: '100' }), 'body.max_tokens: must be a whole number'],
    ['empty model', line({}, { model: '' }), 'body.model: must not be empty'],
    ['unknown top-level field', line({ extra: 1 }), 'unknown field extra'],
    ['lone surrogate', line({}, { messages: [{ role: 'user', content: 'a \ud800 b' }] }), 'well-formed Unicode'],
  ])('refuses %s', (_name, raw, expected) => {
    const r = checkOpenAiLine(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(expected);
  });
});
