import { describe, expect, it } from 'vitest';
import { contentTexts, routingText, splitSystemTurns } from '../../src/source/messages.ts';

describe('contentTexts', () => {
  it('keeps strings and text parts, skips other parts, reads tool_result content', () => {
    const r = contentTexts(
      [
        { type: 'text', text: 'a' },
        { type: 'image_url', image_url: { url: 'x' } },
        { type: 'tool_result', tool_use_id: 't', content: [{ type: 'text', text: 'b' }] },
      ],
      'm',
    );
    expect(r).toEqual({ ok: true, texts: ['a', 'b'] });
    expect(contentTexts('hello', 'm')).toEqual({ ok: true, texts: ['hello'] });
    expect(contentTexts(null, 'm')).toEqual({ ok: true, texts: [] });
  });

  it('names the part that is malformed', () => {
    expect(contentTexts([{ text: 'no type' }], 'body.messages.0.content')).toEqual({ ok: false, error: 'body.messages.0.content.0: a content part must be an object with a type' });
    expect(contentTexts([{ type: 'text', text: 3 }], 'm')).toMatchObject({ ok: false, error: 'm.0: a text part needs a string text' });
    expect(contentTexts(42, 'm')).toMatchObject({ ok: false });
  });
});

describe('routingText', () => {
  it('puts the last user turn first, then the system prompt, then the other turns in order', () => {
    const text = routingText(['be terse'], [
      { role: 'user', texts: ['first question'] },
      { role: 'assistant', texts: ['an answer'] },
      { role: 'user', texts: ['follow-up'] },
    ]);
    expect(text).toBe('follow-up\n\nbe terse\n\nfirst question\n\nan answer');
  });

  it('is null when no turn has text', () => {
    expect(routingText([], [{ role: 'user', texts: [] }])).toBeNull();
  });

  it('takes system and developer turns out of the conversation', () => {
    const { system, conversation } = splitSystemTurns([
      { role: 'system', texts: ['s'] },
      { role: 'user', texts: ['u'] },
      { role: 'developer', texts: ['d'] },
    ]);
    expect(system).toEqual(['s', 'd']);
    expect(conversation.map((t) => t.role)).toEqual(['user']);
  });
});
