// `submit` and the router apply one rule to a request's content: every line submit refuses
// for its content is dead-lettered by the router, and every line submit accepts is routable.
import { describe, expect, it } from 'vitest';
import { createRequestValidator } from '@switchyard/contracts';
import { checkJobLine } from '../../src/source/job-line.ts';
import { toRequest } from '../../src/submit/request.ts';

const validate = createRequestValidator({ embeddingDim: null, maxPromptChars: 100_000, maxPromptTokens: 100_000, knownModels: ['m1', 'm2'] });
const now = Date.parse('2026-01-01T00:00:00Z');
const ctx = { jobId: 'job-1', tenant: 't', lineNo: 1, defaults: { maxOutputTokens: 64, priority: 0 }, submittedAtMs: now };

/** The router's verdict on a line, built the way submit would build it if it did not check it. */
function routerAccepts(line: Record<string, unknown>): boolean {
  const request = toRequest(line as never, ctx);
  return validate(request, now).ok;
}

const lines: readonly [string, Record<string, unknown>][] = [
  ['a plain prompt', { prompt: 'What is 2+2?' }],
  ['an embedding only', { embedding: [0.1, 0.2] }],
  ['an empty prompt', { prompt: '' }],
  ['a whitespace-only prompt', { prompt: ' \t\n ' }],
  ['a prompt of Unicode spaces', { prompt: '\u00a0\u2003\u3000' }],
  ['a lone surrogate', { prompt: 'a\ud800b' }],
  ['an empty embedding', { embedding: [] }],
  ['neither prompt nor embedding', { metadata: { a: 'b' } }],
  ['zero maxOutputTokens', { prompt: 'x', maxOutputTokens: 0 }],
  ['negative promptTokens', { prompt: 'x', promptTokens: -1 }],
  ['an empty model name', { prompt: 'x', allowedModels: [''] }],
  ['an empty allow-list', { prompt: 'x', allowedModels: [] }],
  ['a prompt with spaces around text', { prompt: '  hi  ' }],
];

describe('one rule for a valid request', () => {
  it.each(lines)('submit and the router agree on %s', (_name, line) => {
    expect(routerAccepts(line)).toBe(checkJobLine(line).ok);
  });

  it('refuses blank prompts on both sides, naming the field', () => {
    for (const prompt of ['', '   ', '\n\t']) {
      const checked = checkJobLine({ prompt });
      expect(checked).toMatchObject({ ok: false });
      if (!checked.ok) expect(checked.error).toContain('prompt');
      expect(validate(toRequest({ prompt } as never, ctx), now)).toMatchObject({ ok: false, reason: 'invalid_field', detail: expect.stringContaining('prompt') });
    }
  });
});
