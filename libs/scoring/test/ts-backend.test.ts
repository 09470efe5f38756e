import { describe, expect, it } from 'vitest';
import { ScoringError, TsScoringBackend } from '../src/index.ts';
import type { ScoreInput } from '../src/index.ts';

const f = Math.fround;

function input(partial: Partial<ScoreInput> & Pick<ScoreInput, 'nQueries' | 'nModels'>): ScoreInput {
  const cells = partial.nQueries * partial.nModels;
  return {
    quality: new Float32Array(cells),
    cost: new Float32Array(cells),
    prices: new Float32Array(partial.nModels),
    alpha: 1,
    ...partial,
  };
}

describe('TsScoringBackend.scoreBatch', () => {
  it('computes alpha*quality - price*cost + bonus with every step rounded to float32', () => {
    const backend = new TsScoringBackend();
    const { scores, best } = backend.scoreBatch(
      input({
        nQueries: 1,
        nModels: 2,
        quality: new Float32Array([4, 0.3]),
        cost: new Float32Array([0.5, 0.7]),
        prices: new Float32Array([1, 0.25]),
        alpha: 0.1,
        bonus: new Float32Array([0, 0.01]),
      }),
    );
    // float32(0.1) * 4 - 0.5 is -0.099999994 in float32; the same expression in float64 on the
    // unrounded alpha gives -0.1, so this pins the float32 path.
    expect(scores[0]).toBe(f(f(f(0.1) * 4) - 0.5));
    expect(scores[0]).not.toBe(f(0.1 * 4 - 0.5));
    expect(scores[1]).toBe(f(f(f(f(0.1) * f(0.3)) - f(f(0.25) * f(0.7))) + f(0.01)));
    expect(Array.from(best)).toEqual([0]);
  });

  it('excludes masked models, gives -Infinity scores to them and -1 when nothing is allowed', () => {
    const backend = new TsScoringBackend();
    const { scores, best } = backend.scoreBatch(
      input({
        nQueries: 3,
        nModels: 3,
        quality: new Float32Array([0.9, 0.5, 0.1, 0.9, 0.5, 0.1, 0.9, 0.5, 0.1]),
        mask: new Uint8Array([1, 1, 1, 0, 1, 1, 0, 0, 0]),
      }),
    );
    expect(Array.from(best)).toEqual([0, 1, -1]);
    expect(scores[3]).toBe(-Infinity);
    expect(Array.from(scores.slice(6))).toEqual([-Infinity, -Infinity, -Infinity]);
    expect(scores[4]).toBe(f(0.5));
  });

  it('breaks ties by the lowest model index, also when a masked model would have won', () => {
    const backend = new TsScoringBackend();
    const { best } = backend.scoreBatch(
      input({
        nQueries: 2,
        nModels: 4,
        quality: new Float32Array([0.2, 0.7, 0.7, 0.7, 0.9, 0.4, 0.7, 0.7]),
        mask: new Uint8Array([1, 1, 1, 1, 0, 1, 1, 1]),
      }),
    );
    expect(Array.from(best)).toEqual([1, 2]);
  });

  it('accepts an empty batch', () => {
    const out = new TsScoringBackend().scoreBatch(input({ nQueries: 0, nModels: 3 }));
    expect(out.scores.length).toBe(0);
    expect(out.best.length).toBe(0);
  });
});

describe('TsScoringBackend.rankBatch', () => {
  it('lists allowed models by descending score, ties by index, then -1 pads for masked ones', () => {
    const ranking = new TsScoringBackend().rankBatch(
      input({
        nQueries: 2,
        nModels: 4,
        quality: new Float32Array([0.2, 0.7, 0.1, 0.7, 0.3, 0.3, 0.3, 0.3]),
        mask: new Uint8Array([1, 1, 1, 1, 1, 0, 1, 0]),
      }),
    );
    expect(Array.from(ranking)).toEqual([1, 3, 0, 2, 0, 2, -1, -1]);
  });

  it('returns all -1 for a query with no model allowed', () => {
    const ranking = new TsScoringBackend().rankBatch(input({ nQueries: 1, nModels: 3, mask: new Uint8Array(3) }));
    expect(Array.from(ranking)).toEqual([-1, -1, -1]);
  });
});

describe('TsScoringBackend input checks', () => {
  it.each([
    ['quality', 'non_finite', NaN],
    ['cost', 'non_finite', -Infinity],
    ['bonus', 'out_of_range', 1e20],
    ['quality', 'out_of_range', -1e19],
  ] as const)('rejects a bad %s cell (%s), masked cells included', (field, code, value) => {
    const bad = input({ nQueries: 2, nModels: 2, bonus: new Float32Array(4), mask: new Uint8Array([1, 1, 1, 0]) });
    bad[field]![3] = value;
    expect(() => new TsScoringBackend().scoreBatch(bad)).toThrow(expect.objectContaining({ code }) as ScoringError);
    expect(() => new TsScoringBackend().rankBatch(bad)).toThrow(expect.objectContaining({ code }) as ScoringError);
  });

  it('rejects wrong lengths before scoring', () => {
    expect(() => new TsScoringBackend().scoreBatch({ ...input({ nQueries: 2, nModels: 2 }), cost: new Float32Array(3) })).toThrow(
      expect.objectContaining({ code: 'bad_shape' }) as ScoringError,
    );
  });
});

describe('TsScoringBackend lifecycle', () => {
  it('refuses work after dispose', () => {
    const backend = new TsScoringBackend();
    backend.dispose();
    expect(() => backend.scoreBatch(input({ nQueries: 1, nModels: 1 }))).toThrow(
      expect.objectContaining({ code: 'disposed' }) as ScoringError,
    );
  });
});
