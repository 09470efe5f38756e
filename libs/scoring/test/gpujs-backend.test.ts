import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { GpujsScoringBackend, ScoringError, TsScoringBackend, createScoringBackend } from '../src/index.ts';
import type { ScoreInput } from '../src/index.ts';
import { randomBatch } from './fixtures.ts';

const ts = new TsScoringBackend();
const gpu = new GpujsScoringBackend();
afterAll(async () => {
  gpu.dispose();
  await gpu.closed;
});

function expectSameAsTs(input: ScoreInput, backend: GpujsScoringBackend = gpu): void {
  const expected = ts.scoreBatch(input);
  const actual = backend.scoreBatch(input);
  // Bit-identical float32 scores (Object.is also separates -Infinity and NaN) and so the same argmax.
  expect(actual.scores.length).toBe(expected.scores.length);
  for (let i = 0; i < expected.scores.length; i++) {
    if (!Object.is(actual.scores[i], expected.scores[i])) {
      expect.fail(`score ${i}: gpujs ${actual.scores[i]} vs ts ${expected.scores[i]}`);
    }
  }
  expect(Array.from(actual.best)).toEqual(Array.from(expected.best));
  expect(Array.from(backend.rankBatch(input))).toEqual(Array.from(ts.rankBatch(input)));
}

describe('GpujsScoringBackend', () => {
  it('reports the gpu.js backend its kernels actually run on', () => {
    // No GL and no GPU on the test machines: gpu.js falls back from headlessgl to WebAssembly.
    expect(['webasm', 'headlessgl', 'cpu']).toContain(gpu.mode);
    expect(gpu.name).toBe('gpujs');
  });

  it('matches the TypeScript backend bit for bit on a fixed batch with bonus and mask', () => {
    expectSameAsTs(randomBatch({ seed: 1, nQueries: 256, nModels: 11, alpha: 0.37, withBonus: true, maskRate: 0.2 }));
  });

  it('breaks ties by the lowest model index like the TypeScript backend', () => {
    const input: ScoreInput = {
      nQueries: 3,
      nModels: 4,
      quality: new Float32Array([0.5, 0.7, 0.7, 0.7, 0.1, 0.1, 0.1, 0.1, 0.9, 0.6, 0.6, 0.2]),
      cost: new Float32Array(12),
      prices: new Float32Array(4),
      alpha: 1,
      mask: new Uint8Array([1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1]),
    };
    expect(Array.from(gpu.scoreBatch(input).best)).toEqual([1, 0, 1]);
    expect(Array.from(gpu.rankBatch(input))).toEqual([1, 2, 3, 0, 0, 1, 2, 3, 1, 2, 3, -1]);
    expectSameAsTs(input);
  });

  it('returns -1 and -Infinity for queries with no model allowed', () => {
    const input = randomBatch({ seed: 2, nQueries: 5, nModels: 3 });
    input.mask = new Uint8Array([1, 1, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0]);
    const { scores, best } = gpu.scoreBatch(input);
    expect(best[1]).toBe(-1);
    expect(best[3]).toBe(-1);
    expect(best[4]).toBe(1);
    expect(Array.from(scores.slice(3, 6))).toEqual([-Infinity, -Infinity, -Infinity]);
    expect(Array.from(gpu.rankBatch(input).slice(9, 12))).toEqual([-1, -1, -1]);
    expectSameAsTs(input);
  });

  it('pads batch sizes to buckets and reuses kernels without leaking rows between batches', () => {
    const backend = new GpujsScoringBackend();
    try {
      for (const [seed, nQueries] of [[3, 1], [4, 63], [5, 64], [6, 65], [7, 96], [8, 40], [9, 64]] as const) {
        expectSameAsTs(randomBatch({ seed, nQueries, nModels: 7, maskRate: 0.1, withBonus: seed % 2 === 0 }), backend);
      }
      // Buckets 64 and 96 for 7 models.
      expect(backend.cachedShapes).toBe(2);
    } finally {
      backend.dispose();
    }
  });

  it('hands out scores that later batches do not overwrite', () => {
    const first = randomBatch({ seed: 15, nQueries: 64, nModels: 4 });
    const out = gpu.scoreBatch(first);
    const copy = out.scores.slice();
    gpu.scoreBatch(randomBatch({ seed: 16, nQueries: 64, nModels: 4 }));
    expect(Array.from(out.scores)).toEqual(Array.from(copy));
  });

  it('keeps alpha a float even when the first batch has an integral alpha', () => {
    const backend = new GpujsScoringBackend();
    try {
      expectSameAsTs(randomBatch({ seed: 10, nQueries: 64, nModels: 5, alpha: 1 }), backend);
      expectSameAsTs(randomBatch({ seed: 11, nQueries: 64, nModels: 5, alpha: 0.25 }), backend);
    } finally {
      backend.dispose();
    }
  });

  it('evicts the least recently used kernels beyond maxCachedShapes and still scores correctly', () => {
    const backend = new GpujsScoringBackend({ maxCachedShapes: 2 });
    try {
      for (const nModels of [2, 3, 4, 2]) expectSameAsTs(randomBatch({ seed: nModels, nQueries: 10, nModels }), backend);
      expect(backend.cachedShapes).toBe(2);
    } finally {
      backend.dispose();
    }
  });

  it('agrees with the TypeScript backend on random batches, ties included (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer(),
        fc.constantFrom(1, 0.5, 1e-4, 3),
        fc.boolean(),
        fc.constantFrom(0, 0.3, 0.9),
        fc.constantFrom(undefined, 2, 4),
        (nQueries, nModels, seed, alpha, withBonus, maskRate, levels) => {
          expectSameAsTs(randomBatch({ seed, nQueries, nModels, alpha, withBonus, maskRate, ...(levels === undefined ? {} : { levels }) }));
        },
      ),
      { numRuns: 60, seed: 20260101 },
    );
  });

  it('validates input at the boundary like the TypeScript backend', () => {
    const input = randomBatch({ seed: 12, nQueries: 4, nModels: 3 });
    expect(() => gpu.scoreBatch({ ...input, cost: new Float32Array(11) })).toThrow(ScoringError);
    input.quality[2] = NaN;
    expect(() => gpu.rankBatch(input)).toThrow(expect.objectContaining({ code: 'non_finite' }) as ScoringError);
  });

  it('refuses work after dispose and releases gpu.js', async () => {
    const backend = createScoringBackend('gpujs') as GpujsScoringBackend;
    backend.scoreBatch(randomBatch({ seed: 13, nQueries: 8, nModels: 3 }));
    backend.dispose();
    await expect(backend.closed).resolves.toBeUndefined();
    expect(backend.cachedShapes).toBe(0);
    expect(() => backend.scoreBatch(randomBatch({ seed: 13, nQueries: 8, nModels: 3 }))).toThrow(
      expect.objectContaining({ code: 'disposed' }) as ScoringError,
    );
  });

  it('reports backend_unavailable for a gpu.js mode this machine lacks', () => {
    let caught: unknown;
    try {
      new GpujsScoringBackend({ gpuMode: 'headlessgl' }).dispose();
    } catch (err) {
      caught = err;
    }
    // Where the optional `gl` package is installed headlessgl works and there is nothing to check.
    if (caught !== undefined) expect(caught).toMatchObject({ code: 'backend_unavailable' });
  });

  it('runs in gpu.js cpu mode too, with the same argmax on well separated scores', () => {
    const backend = new GpujsScoringBackend({ gpuMode: 'cpu' });
    try {
      expect(backend.mode).toBe('cpu');
      // The cpu mode evaluates in float64 and rounds once on output, so scores may differ from
      // float32 in the last bit; compare decisions where no two scores are that close.
      const input = randomBatch({ seed: 14, nQueries: 50, nModels: 6, maskRate: 0.2 });
      const expected = ts.scoreBatch(input);
      const actual = backend.scoreBatch(input);
      for (let i = 0; i < expected.scores.length; i++) {
        expect(actual.scores[i]).toBeCloseTo(expected.scores[i]!, 5);
      }
      expect(Array.from(actual.best)).toEqual(Array.from(expected.best));
    } finally {
      backend.dispose();
    }
  });
});
