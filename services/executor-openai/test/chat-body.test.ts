import { describe, expect, it } from 'vitest';
import { buildChatBody } from '../src/chat-body.ts';

const item = (over: { prompt?: string | null; body?: string | null; maxOutputTokens?: number; metadata?: Record<string, string> } = {}) => ({ prompt: 'Hi?', maxOutputTokens: 64, body: null, metadata: {}, ...over });

describe('buildChatBody', () => {
  it('builds a one-message chat for native requests, capped at maxOutputTokens', () => {
    expect(buildChatBody(item(), 'up')).toEqual({ ok: true, body: { model: 'up', messages: [{ role: 'user', content: 'Hi?' }], max_tokens: 64 } });
    expect(buildChatBody(item({ prompt: null }), 'up')).toMatchObject({ ok: false });
  });

  it('sends an OpenAI body unchanged but for the model name', () => {
    const body = { model: 'gpt-4o', messages: [{ role: 'system', content: 's' }, { role: 'user', content: [{ type: 'text', text: 'q' }] }], temperature: 0, max_completion_tokens: 9 };
    expect(buildChatBody(item({ body: JSON.stringify(body) }), 'mapped')).toEqual({ ok: true, body: { ...body, model: 'mapped' } });
  });

  it('follows metadata.bodyFormat: an OpenAI body with OpenAI-only params and a system message is not converted', () => {
    const body = { model: 'gpt-4o', metadata: { team: 'x' }, service_tier: 'auto', messages: [{ role: 'system', content: 's' }, { role: 'user', content: 'q' }], max_tokens: 5 };
    expect(buildChatBody(item({ body: JSON.stringify(body), metadata: { bodyFormat: 'openai.chat.completions' } }), 'm')).toEqual({ ok: true, body: { ...body, model: 'm' } });
    expect(buildChatBody(item({ body: JSON.stringify(body) }), 'm')).toEqual({ ok: true, body: { ...body, model: 'm' } });
    const plain = { model: 'claude', max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'text', text: 'q' }] }], metadata: { user_id: 'u' } };
    expect(buildChatBody(item({ body: JSON.stringify(plain), metadata: { bodyFormat: 'anthropic.messages' } }), 'm')).toEqual({ ok: true, body: { model: 'm', max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'text', text: 'q' }] }] } });
  });

  it('adds max_tokens when the body has no cap', () => {
    const r = buildChatBody(item({ body: JSON.stringify({ model: 'x', messages: [{ role: 'user', content: 'q' }] }), maxOutputTokens: 77 }), 'm');
    expect(r.ok && r.body.max_tokens).toBe(77);
  });

  it('converts an Anthropic messages body: system prompt, text and image blocks, stop sequences', () => {
    const anthropic = {
      model: 'claude-3-5-sonnet',
      max_tokens: 100,
      system: [{ type: 'text', text: 'be brief' }],
      stop_sequences: ['END'],
      top_k: 5,
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAA=' } }] },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: 'and?' },
      ],
    };
    expect(buildChatBody(item({ body: JSON.stringify(anthropic) }), 'gpt')).toEqual({
      ok: true,
      body: {
        model: 'gpt',
        max_tokens: 100,
        stop: ['END'],
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAA=' } }] },
          { role: 'assistant', content: 'ok' },
          { role: 'user', content: 'and?' },
        ],
      },
    });
  });

  it.each([
    ['not JSON', '{"model":'],
    ['not an object', '[1]'],
    ['no messages', '{"model":"x"}'],
    ['streaming', '{"messages":[{"role":"user","content":"q"}],"stream":true}'],
    ['tool blocks', '{"system":"s","messages":[{"role":"user","content":[{"type":"tool_result","content":"x"}]}]}'],
  ])('refuses a body that is %s, with a reason', (_what, body) => {
    const r = buildChatBody(item({ body }), 'm');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.detail.length).toBeGreaterThan(0);
  });
});
