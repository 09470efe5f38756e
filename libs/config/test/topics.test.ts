import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isLegalTopicName, routedTopicName, sanitizeTopicComponent, MAX_TOPIC_CHARS } from '../src/topics.ts';

describe('topic names', () => {
  it.each([
    ['gpt-4-1106-preview', 'routed.gpt-4-1106-preview'],
    ['meta/llama-2-70b-chat', 'routed.meta_llama-2-70b-chat'],
    ['claude-v1:2', 'routed.claude-v1_2'],
    ['zero-one-ai/Yi-34B-Chat', 'routed.zero-one-ai_Yi-34B-Chat'],
    ['mod èle', 'routed.mod__le'],
  ])('sanitises %s', (model, topic) => {
    expect(routedTopicName('routed.{model}', model)).toBe(topic);
  });

  it('never produces "." or ".." for the whole name', () => {
    expect(sanitizeTopicComponent('..', 249)).toBe('__');
    expect(sanitizeTopicComponent('.', 249)).toBe('_');
    expect(sanitizeTopicComponent('', 249)).toBe('_');
  });

  it('keeps long names legal and distinct', () => {
    const a = routedTopicName('routed.{model}', `${'m'.repeat(300)}a`);
    const b = routedTopicName('routed.{model}', `${'m'.repeat(300)}b`);
    expect(a.length).toBeLessThanOrEqual(MAX_TOPIC_CHARS);
    expect(a).not.toBe(b);
  });

  it('always yields a legal topic name for any model name', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (model) => {
        expect(isLegalTopicName(routedTopicName('routed.{model}', model))).toBe(true);
      }),
    );
  });

  it.each(['', '.', '..', 'a b', 'a'.repeat(250), 'ünï'])('rejects %j as a topic name', (name) => {
    expect(isLegalTopicName(name)).toBe(false);
  });
});
