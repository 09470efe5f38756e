import { describe, expect, it } from 'vitest';
import { MAX_ABS_INPUT, ScoringError, validateScoreInput } from '../src/index.ts';
import type { ScoreInput, ScoringErrorCode } from '../src/index.ts';

function valid(): ScoreInput {
  return {
    nQueries: 2,
    nModels: 3,
    quality: new Float32Array(6),
    cost: new Float32Array(6),
    prices: new Float32Array(3),
    alpha: 1,
    bonus: new Float32Array(6),
    mask: new Uint8Array(6).fill(1),
  };
}

function codeOf(fn: () => void): ScoringErrorCode | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(ScoringError);
    expect((err as ScoringError).retriable).toBe(false);
    return (err as ScoringError).code;
  }
}

describe('validateScoreInput', () => {
  it('accepts a well-formed batch', () => {
    expect(codeOf(() => validateScoreInput(valid()))).toBeUndefined();
  });

  it.each([
    ['quality', (i: ScoreInput) => ({ ...i, quality: new Float32Array(5) })],
    ['cost', (i: ScoreInput) => ({ ...i, cost: new Float32Array(7) })],
    ['prices', (i: ScoreInput) => ({ ...i, prices: new Float32Array(6) })],
    ['bonus', (i: ScoreInput) => ({ ...i, bonus: new Float32Array(3) })],
    ['mask', (i: ScoreInput) => ({ ...i, mask: new Uint8Array(2) })],
    ['nModels zero', (i: ScoreInput) => ({ ...i, nModels: 0, prices: new Float32Array(0) })],
    ['nQueries fractional', (i: ScoreInput) => ({ ...i, nQueries: 1.5 })],
    ['nQueries negative', (i: ScoreInput) => ({ ...i, nQueries: -1 })],
  ])('rejects a wrong %s with bad_shape', (_name, mutate) => {
    expect(codeOf(() => validateScoreInput(mutate(valid())))).toBe('bad_shape');
  });

  it.each([
    ['quality', NaN],
    ['cost', Infinity],
    ['prices', -Infinity],
    ['bonus', NaN],
  ] as const)('rejects a non-finite %s value with non_finite', (field, value) => {
    const input = valid();
    input[field]![1] = value;
    expect(codeOf(() => validateScoreInput(input))).toBe('non_finite');
  });

  it('rejects a non-finite alpha', () => {
    expect(codeOf(() => validateScoreInput({ ...valid(), alpha: NaN }))).toBe('non_finite');
  });

  it('rejects values large enough to overflow a float32 score, and accepts the bound itself', () => {
    const input = valid();
    input.cost[0] = 1e30;
    expect(codeOf(() => validateScoreInput(input))).toBe('out_of_range');
    expect(codeOf(() => validateScoreInput({ ...valid(), alpha: 2e18 }))).toBe('out_of_range');
    const edge = valid();
    edge.quality[0] = MAX_ABS_INPUT; // stored as float32 9.99999984e17, inside the bound
    expect(codeOf(() => validateScoreInput({ ...edge, alpha: MAX_ABS_INPUT }))).toBeUndefined();
  });
});
