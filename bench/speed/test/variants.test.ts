import { describe, expect, it } from 'vitest';
import { parseVariant, syntheticOutcomes, variantLabel, type Variant } from '../variants.ts';

const hnsw: Variant = { kind: 'hnsw', m: 16, efConstruction: 128, efSearch: 64, quantization: 'f32', rescore: 0 };
const defaults = (kind: Variant['kind']): Variant => (kind === 'usearch' ? { ...hnsw, kind, efSearch: 48, quantization: 'i8', rescore: 2 } : { ...hnsw, kind });

describe('parseVariant', () => {
  it('reads kind, precision and graph settings in any order, defaults for the rest', () => {
    expect(parseVariant('usearch:ef32:f16:m8:r0', defaults)).toEqual({ kind: 'usearch', m: 8, efConstruction: 128, efSearch: 32, quantization: 'f16', rescore: 0 });
    expect(parseVariant('hnsw:efc64', defaults)).toEqual({ ...hnsw, efConstruction: 64 });
    expect(parseVariant('usearch:m8', defaults)).toEqual({ kind: 'usearch', m: 8, efConstruction: 128, efSearch: 48, quantization: 'i8', rescore: 2 });
    expect(variantLabel(parseVariant('usearch:f16:m12:efc96:ef24:r0', defaults))).toBe('usearch f16 M12 efC96 ef24');
    expect(variantLabel(parseVariant('usearch', defaults))).toBe('usearch i8 M16 efC128 ef48 rescore x2');
    expect(variantLabel(parseVariant('exact', defaults))).toBe('exact');
  });

  it('rejects unknown kinds and tokens', () => {
    expect(() => parseVariant('faiss', defaults)).toThrow(/kind/);
    expect(() => parseVariant('hnsw:ef0', defaults)).toThrow(/token/);
    expect(() => parseVariant('hnsw:fast', defaults)).toThrow(/token/);
  });
});

describe('syntheticOutcomes', () => {
  const rows = 400;
  const realM = 3;
  const real = { quality: new Float64Array(rows * realM), cost: new Float64Array(rows * realM), tokens: new Float64Array(rows * realM) };
  for (let i = 0; i < rows * realM; i++) {
    real.quality[i] = (i * 7) % 3 === 0 ? 1 : 0;
    real.cost[i] = 0.001 * (1 + (i % 5));
    real.tokens[i] = 100 + (i % 11);
  }

  it('keeps the first real columns as they are when the pool is not larger', () => {
    const two = syntheticOutcomes(real, realM, rows, 2);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < 2; j++) {
        expect(two.quality[i * 2 + j]).toBe(real.quality[i * realM + j]);
        expect(two.cost[i * 2 + j]).toBe(real.cost[i * realM + j]);
      }
    }
  });

  it('adds noisy copies of real columns beyond the real pool, deterministically', () => {
    const eight = syntheticOutcomes(real, realM, rows, 8);
    expect(syntheticOutcomes(real, realM, rows, 8)).toEqual(eight);
    // Model 4 derives from real model 1: mostly the same binary quality, some flips, other costs.
    let flips = 0;
    let costDiffers = 0;
    for (let i = 0; i < rows; i++) {
      const q = eight.quality[i * 8 + 4]!;
      expect(q === 0 || q === 1).toBe(true);
      if (q !== real.quality[i * realM + 1]) flips++;
      if (eight.cost[i * 8 + 4] !== real.cost[i * realM + 1]) costDiffers++;
      expect(eight.cost[i * 8 + 4]).toBeGreaterThan(0);
      expect(eight.quality[i * 8 + 1]).toBe(real.quality[i * realM + 1]);
    }
    expect(flips).toBeGreaterThan(rows * 0.03);
    expect(flips).toBeLessThan(rows * 0.2);
    expect(costDiffers).toBe(rows);
  });
});
