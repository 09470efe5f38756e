import { describe, expect, it } from 'vitest';
import { createOutcomeValidator, createRequestValidator } from '../src/validate.ts';
import { sampleOutcome, sampleRequest } from '../src/fixtures.ts';
import { contracts } from '../src/schemas.ts';

const NOW = 1_767_225_700_000;
const validate = createRequestValidator({
  embeddingDim: 4,
  maxPromptChars: 1_000,
  maxPromptTokens: 500,
  knownModels: ['gpt-4-1106-preview', 'mixtral-8x7b-chat'],
});

describe('createRequestValidator', () => {
  it('accepts a valid request and returns it', () => {
    const r = sampleRequest({ embedding: [0.1, 0.2, 0.3, 0.4], promptTokens: 12, allowedModels: ['mixtral-8x7b-chat', 'other'] });
    const result = validate(r, NOW);
    expect(result).toEqual({ ok: true, value: r });
  });

  it('accepts an embedding-only request', () => {
    expect(validate(sampleRequest({ prompt: null, embedding: [1, 2, 3, 4] }), NOW).ok).toBe(true);
  });

  it('accepts a request decoded by avsc (a class instance, not a plain object)', () => {
    const type = contracts.request.type;
    const decoded: unknown = type.fromBuffer(type.toBuffer(sampleRequest()));
    expect(validate(decoded, NOW).ok).toBe(true);
  });

  it.each([
    ['empty requestId', sampleRequest({ requestId: '' }), 'requestId'],
    ['overlong jobId', sampleRequest({ jobId: 'j'.repeat(257) }), 'jobId'],
    ['lone surrogate in tenant', sampleRequest({ tenant: 'a\ud800b' }), 'tenant'],
    ['lone surrogate in prompt', sampleRequest({ prompt: 'x\udfff' }), 'prompt'],
    ['NUL in requestId (Postgres text cannot store it)', sampleRequest({ requestId: 'r\u0000' }), 'requestId'],
    ['NUL in tenant', sampleRequest({ tenant: '\u0000' }), 'tenant'],
    ['negative promptTokens', sampleRequest({ promptTokens: -1 }), 'promptTokens'],
    ['zero maxOutputTokens', sampleRequest({ maxOutputTokens: 0 }), 'maxOutputTokens'],
    ['fractional priority', sampleRequest({ priority: 1.5 }), 'priority'],
    ['string where a number belongs', { ...sampleRequest(), maxOutputTokens: '256' }, 'maxOutputTokens'],
    ['non-numeric embedding', { ...sampleRequest(), embedding: ['a', 'b', 'c', 'd'] }, 'embedding'],
    ['missing field', (({ submittedAt: _s, ...rest }) => rest)(sampleRequest()), 'submittedAt'],
    ['empty model name in allowedModels', sampleRequest({ allowedModels: [''] }), 'allowedModels.0'],
  ])('rejects %s as invalid_field naming the path', (_name, event, path) => {
    const result = validate(event, NOW);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toBe('invalid_field');
      expect(result.detail.startsWith(`${path}:`)).toBe(true);
    }
  });

  it('rejects a non-object', () => {
    expect(validate('hello', NOW)).toMatchObject({ ok: false, reason: 'invalid_field' });
    expect(validate(null, NOW)).toMatchObject({ ok: false, reason: 'invalid_field' });
  });

  it('keeps well-formed astral and combining characters', () => {
    expect(validate(sampleRequest({ prompt: 'emoji 👩‍👩‍👧 e\u0301 𝕏 \u0000 zero-width\u200b' }), NOW).ok).toBe(true);
  });

  it.each([
    ['no prompt and no embedding', sampleRequest({ prompt: null, embedding: null }), 'missing_input'],
    ['NaN component', sampleRequest({ embedding: [0, NaN, 0, 0] }), 'nan_embedding'],
    ['infinite component', sampleRequest({ embedding: [0, 0, -Infinity, 0] }), 'nan_embedding'],
    ['wrong dimension', sampleRequest({ embedding: [1, 2, 3] }), 'wrong_dimension'],
    ['prompt above the char limit', sampleRequest({ prompt: 'x'.repeat(1_001) }), 'oversized_prompt'],
    ['promptTokens above the token limit', sampleRequest({ promptTokens: 501 }), 'oversized_prompt'],
    ['only unknown models allowed', sampleRequest({ allowedModels: ['gpt-9'] }), 'unknown_model'],
    ['empty allow-list', sampleRequest({ allowedModels: [] }), 'unknown_model'],
    ['deadline in the past', sampleRequest({ deadline: NOW - 1 }), 'deadline_passed'],
    ['deadline exactly now', sampleRequest({ deadline: NOW }), 'deadline_passed'],
  ])('rejects %s as %s', (_name, event, reason) => {
    expect(validate(event, NOW)).toMatchObject({ ok: false, reason });
  });

  it('accepts a prompt exactly at the char limit and a future deadline', () => {
    expect(validate(sampleRequest({ prompt: 'x'.repeat(1_000), deadline: NOW + 1 }), NOW).ok).toBe(true);
  });

  it('accepts any dimension when embeddingDim is null', () => {
    const anyDim = createRequestValidator({ embeddingDim: null, maxPromptChars: 10, maxPromptTokens: 10, knownModels: [] });
    expect(anyDim(sampleRequest({ prompt: null, embedding: [1, 2, 3] }), NOW).ok).toBe(true);
  });
});

describe('createOutcomeValidator', () => {
  const validateOutcome = createOutcomeValidator({ knownModels: ['gpt-4-1106-preview'] });

  it('accepts a valid outcome', () => {
    expect(validateOutcome(sampleOutcome()).ok).toBe(true);
  });

  it.each([
    ['quality above 1', sampleOutcome({ quality: 1.5 }), 'invalid_field'],
    ['NaN quality', sampleOutcome({ quality: NaN }), 'invalid_field'],
    ['negative completion tokens', sampleOutcome({ completionTokens: -3 }), 'invalid_field'],
    ['negative cost', sampleOutcome({ costUsd: -0.1 }), 'invalid_field'],
    ['unknown model', sampleOutcome({ model: 'gpt-9' }), 'unknown_model'],
  ])('rejects %s as %s', (_name, event, reason) => {
    expect(validateOutcome(event)).toMatchObject({ ok: false, reason });
  });
});
