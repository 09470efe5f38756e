import { describe, expect, it } from 'vitest';
import { LinUcb, RandomProjection, RoutingError } from '../../src/index.ts';

const opts = { dim: 4, lambda: 1, beta: 2, sigma0: 0.5, sigmaPriorCount: 5 };

describe('LinUcb', () => {
  it('shrinks the bonus at x as the model is observed there, and leaves other models alone', () => {
    const ucb = new LinUcb(2, opts);
    const x = [0.6, 0.8, 0, 1];
    const widths: number[] = [ucb.width(0, x)];
    for (let i = 0; i < 20; i++) {
      ucb.observe(0, x, 0.1);
      widths.push(ucb.width(0, x));
    }
    for (let i = 1; i < widths.length; i++) expect(widths[i]!).toBeLessThan(widths[i - 1]!);
    // A^-1 = I / lambda before any data: width = |x| / sqrt(lambda).
    expect(widths[0]).toBeCloseTo(Math.sqrt(2), 12);
    expect(widths[20]).toBeLessThan(0.25 * widths[0]!);
    expect(ucb.width(1, x)).toBeCloseTo(widths[0]!, 12);
    expect(ucb.bonus(0, x)).toBeLessThan(ucb.bonus(1, x));
  });

  it('keeps more width in directions it has not seen', () => {
    const ucb = new LinUcb(1, opts);
    for (let i = 0; i < 30; i++) ucb.observe(0, [1, 0, 0, 1], 0);
    expect(ucb.width(0, [0, 1, 0, 1])).toBeGreaterThan(2 * ucb.width(0, [1, 0, 0, 1]));
  });

  it('matches the width computed from the explicit inverse of A (Sherman-Morrison check)', () => {
    const ucb = new LinUcb(1, { ...opts, dim: 2, lambda: 0.5 });
    const xs = [
      [1, 2],
      [-1, 0.5],
      [0.3, -0.7],
    ];
    for (const x of xs) ucb.observe(0, x, 0);
    let a = 0.5;
    let b = 0;
    let d = 0.5;
    for (const [p, q] of xs) {
      a += p! * p!;
      b += p! * q!;
      d += q! * q!;
    }
    const det = a * d - b * b;
    const z = [0.4, -1.1];
    const quad = (d * z[0]! * z[0]! - 2 * b * z[0]! * z[1]! + a * z[1]! * z[1]!) / det;
    expect(ucb.width(0, z)).toBeCloseTo(Math.sqrt(quad), 10);
  });

  it('scales the bonus by the residual scale it observes', () => {
    const small = new LinUcb(1, opts);
    const large = new LinUcb(1, opts);
    const x = [0, 0, 1, 1];
    for (let i = 0; i < 10; i++) {
      small.observe(0, x, 0.01);
      large.observe(0, x, 0.9);
    }
    expect(small.sigma(0)).toBeLessThan(opts.sigma0);
    expect(large.sigma(0)).toBeGreaterThan(opts.sigma0);
    expect(large.bonus(0, x)).toBeGreaterThan(small.bonus(0, x));
    expect(new LinUcb(1, { ...opts, beta: 0 }).bonus(0, x)).toBe(0);
  });

  it('rejects bad options and shapes', () => {
    expect(() => new LinUcb(1, { ...opts, lambda: 0 })).toThrow(RoutingError);
    expect(() => new LinUcb(1, opts).bonusBatch([1, 2, 3], 1)).toThrow(RoutingError);
  });
});

describe('RandomProjection', () => {
  it('is seeded, unit-norm before the bias coordinate, and keeps near vectors near', () => {
    const D = 64;
    const p = new RandomProjection(D, 17, 3);
    const v = new Float32Array(2 * D);
    for (let i = 0; i < D; i++) {
      v[i] = Math.sin(i);
      v[D + i] = Math.sin(i) + 0.05 * Math.cos(3 * i);
    }
    const f = p.projectBatch(v, 2);
    expect(Array.from(new RandomProjection(D, 17, 3).projectBatch(v, 2))).toEqual(Array.from(f));
    let n0 = 0;
    let dotp = 0;
    for (let i = 0; i < 16; i++) {
      n0 += f[i]! ** 2;
      dotp += f[i]! * f[17 + i]!;
    }
    expect(n0).toBeCloseTo(1, 10);
    expect(f[16]).toBe(1);
    expect(dotp).toBeGreaterThan(0.95);
  });
});
