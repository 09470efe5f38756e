import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { acceptRequestFast } from '../src/request-fast-path.ts';
import { isBlankPrompt } from '../src/request-rules.ts';
import { requestShape } from '../src/validate.ts';

// Each field mostly valid, sometimes one of the values a rule refuses, so the generator reaches
// both the accepting path and every refusal.
const mostly = <T>(valid: fc.Arbitrary<T>, ...invalid: unknown[]): fc.Arbitrary<unknown> =>
  fc.oneof({ arbitrary: valid, weight: 12 }, { arbitrary: fc.constantFrom(...invalid), weight: 1 });
const id = mostly(fc.string({ minLength: 1, maxLength: 8 }).filter((s) => !s.includes('\u0000')), '', '\u0000', '\uD800', 'x'.repeat(257), 5, null, undefined);
const text = fc.string({ maxLength: 8 });
const int = (min: number, max: number): fc.Arbitrary<unknown> => mostly(fc.integer({ min, max }), min - 1, 1.5, Number.NaN, '1', null, undefined);
const orNull = (a: fc.Arbitrary<unknown>, ...invalid: unknown[]): fc.Arbitrary<unknown> => fc.oneof(a, fc.constant(null), fc.constantFrom(...invalid, undefined));

const requestLike = fc.record(
  {
    requestId: id,
    jobId: id,
    tenant: id,
    prompt: orNull(mostly(fc.string({ minLength: 1, maxLength: 8 }), '', ' \u00A0\uFEFF', '\uDC00', 3)),
    embedding: orNull(mostly(fc.array(fc.double(), { minLength: 1, maxLength: 3 }), [], ['x'], 'v')),
    promptTokens: orNull(int(0, 2_147_483_647)),
    maxOutputTokens: int(1, 2_147_483_647),
    priority: int(-2_147_483_648, 2_147_483_647),
    deadline: orNull(int(0, Number.MAX_SAFE_INTEGER)),
    allowedModels: orNull(mostly(fc.array(fc.string({ minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 2 }), [], [''], 'm')),
    metadata: mostly(fc.dictionary(fc.string({ maxLength: 3 }), text, { maxKeys: 2 }), { a: '\uD800' }, { a: 1 }, [], null),
    submittedAt: int(0, Number.MAX_SAFE_INTEGER),
    customId: orNull(id),
    body: orNull(mostly(text, '\uD800', 1)),
    extra: fc.string(),
  },
  { requiredKeys: ['requestId', 'jobId', 'tenant', 'prompt', 'embedding', 'promptTokens', 'maxOutputTokens', 'priority', 'deadline', 'allowedModels', 'metadata', 'submittedAt', 'customId', 'body'] },
);

describe('acceptRequestFast', () => {
  it('accepts only what zod accepts, with the value zod returns', () => {
    let accepted = 0;
    fc.assert(
      fc.property(requestLike, (event) => {
        const fast = acceptRequestFast(event);
        if (fast === null) return;
        accepted += 1;
        const parsed = requestShape.safeParse(event);
        expect(parsed.success).toBe(true);
        expect(fast).toEqual(parsed.data);
      }),
      { numRuns: 3_000 },
    );
    // The generator must reach the accepting branch, or this test checks nothing.
    expect(accepted).toBeGreaterThan(0);
  });

  it('accepts a well-formed request', () => {
    const r = { requestId: 'r', jobId: 'j', tenant: 't', prompt: 'hi', embedding: null, promptTokens: null, maxOutputTokens: 5, priority: 0, deadline: null, allowedModels: null, metadata: { a: 'b' }, submittedAt: 1, customId: null, body: null };
    expect(acceptRequestFast(r)).toEqual({ ...r, excludedModels: [], failedAttempts: [] });
    expect(acceptRequestFast({ ...r, excludedModels: [], failedAttempts: [] })).toEqual({ ...r, excludedModels: [], failedAttempts: [] });
  });

  it('leaves a request handed back after a model failed to zod, which keeps its reroute fields', () => {
    const r = { requestId: 'r', jobId: 'j', tenant: 't', prompt: 'hi', embedding: null, promptTokens: null, maxOutputTokens: 5, priority: 0, deadline: null, allowedModels: null, metadata: {}, submittedAt: 1, customId: null, body: null };
    const rerouted = { ...r, excludedModels: ['m1'], failedAttempts: [{ model: 'm1', reason: 'retries_exhausted', statusCode: 503, detail: null, batchId: 'b', failedAt: 2 }] };
    expect(acceptRequestFast(rerouted)).toBeNull();
    expect(requestShape.parse(rerouted)).toEqual(rerouted);
  });
});

describe('isBlankPrompt', () => {
  it('agrees with trim', () => {
    const ws = fc.constantFrom(' ', '\t', '\n', '\r', '\u00A0', '\u2028', '\uFEFF', '\u3000', '\u180E', '\u200B', 'a', '\uD800');
    fc.assert(fc.property(fc.array(ws, { maxLength: 6 }), (parts) => {
      const s = parts.join('');
      expect(isBlankPrompt(s)).toBe(s.trim().length === 0);
    }));
  });
});
