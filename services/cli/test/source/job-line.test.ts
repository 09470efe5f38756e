import { describe, expect, it } from 'vitest';
import { checkJobLine } from '../../src/source/job-line.ts';

describe('checkJobLine', () => {
  it('accepts a prompt alone and converts an ISO deadline to epoch ms', () => {
    const r = checkJobLine({ prompt: 'hi', deadline: '2030-01-01T00:00:00Z' });
    expect(r).toEqual({ ok: true, line: { prompt: 'hi', deadline: Date.UTC(2030, 0, 1) } });
  });

  it.each([
    [{}, 'prompt: needs a prompt or an embedding'],
    [{ prompt: '' }, 'prompt: must not be empty'],
    [{ prompt: 'x', maxOutputTokens: 0 }, 'maxOutputTokens'],
    [{ prompt: 'x', maxOutputTokns: 5 }, 'unknown field maxOutputTokns'],
    [{ prompt: 'x', embedding: [1, Number.NaN] }, 'embedding.1'],
    [{ prompt: 'x', priority: 1.5 }, 'priority'],
    [{ prompt: 'x', metadata: { a: 1 } }, 'metadata.a'],
    [{ prompt: 'bad \ud800 text' }, 'lone surrogates'],
  ])('refuses %j naming the field', (raw, expected) => {
    const r = checkJobLine(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(expected);
  });
});
