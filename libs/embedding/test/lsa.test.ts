import { describe, expect, it } from 'vitest';
import { createLsaEmbedder, lsaEmbedderFromJSON, truncatedSvd } from '../src/index.ts';

describe('truncated SVD', () => {
  it('recovers the singular values and the row space of a rank-3 matrix', () => {
    // X = U diag(9, 4, 1) V^T with orthonormal V rows on coordinates 0..2 of 6 (U: 40 x 3, orthogonal columns by construction).
    const rows = 40;
    const cols = 6;
    const sv = [9, 4, 1];
    const x = new Float32Array(rows * cols);
    for (let i = 0; i < rows; i++) {
      for (let r = 0; r < 3; r++) {
        // Columns of U: cos/sin patterns orthogonal over 40 rows, each of norm 1.
        const u = r === 0 ? 1 / Math.sqrt(rows) : Math.sqrt(2 / rows) * (r === 1 ? Math.cos((2 * Math.PI * i) / rows) : Math.sin((2 * Math.PI * i) / rows));
        x[i * cols + r] = sv[r]! * u;
      }
    }
    const svd = truncatedSvd(x, rows, cols, { rank: 3, oversample: 2, powerIterations: 2, seed: 1 });
    expect(Array.from(svd.singularValues).map((v) => Number(v.toFixed(4)))).toEqual([9, 4, 1]);
    // Each component lies in coordinates 0..2 and is a unit vector.
    for (let r = 0; r < 3; r++) {
      const c = Array.from(svd.components.subarray(r * cols, (r + 1) * cols));
      expect(Math.hypot(...c)).toBeCloseTo(1, 4);
      expect(Math.hypot(...c.slice(3))).toBeLessThan(1e-4);
      expect(Math.abs(c[r]!)).toBeCloseTo(1, 4);
    }
  });
});

describe('LSA embedder', () => {
  const corpus = Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? `the cat sat on mat number ${i} with a hat` : `solve equation ${i} for x and y using algebra`));

  it('embeds unit vectors in which same-topic prompts are nearer, and survives a round trip', () => {
    const e = createLsaEmbedder({ base: { dim: 512 }, dim: 16, seed: 3 }).fit(corpus);
    expect(e.fitted).toBe(true);
    const [cat, catToo, maths] = [e.embed('a cat with a hat sat on the mat'), e.embed('the cat on mat'), e.embed('algebra: solve the equation for x')];
    const dot = (a: Float32Array, b: Float32Array): number => a.reduce((s, v, i) => s + v * b[i]!, 0);
    expect(dot(cat, cat)).toBeCloseTo(1, 5);
    expect(dot(cat, catToo)).toBeGreaterThan(dot(cat, maths));
    const again = lsaEmbedderFromJSON(e.toJSON());
    expect(Array.from(again.embed('the cat on mat'))).toEqual(Array.from(catToo));
  });

  it('refuses to embed before it is fitted and rejects a corrupt state', () => {
    const e = createLsaEmbedder({ base: { dim: 64 }, dim: 8 });
    expect(() => e.embed('x')).toThrow(/fitted/);
    const state = createLsaEmbedder({ base: { dim: 64 }, dim: 8 }).fit(corpus).toJSON();
    expect(() => lsaEmbedderFromJSON({ ...state, components: new Float32Array(3) })).toThrow(/components/);
  });
});
