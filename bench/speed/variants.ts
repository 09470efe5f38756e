import { gaussian, mulberry32 } from '@switchyard/datasets';
import type { IndexKind } from '@switchyard/ann';

/** One index configuration timed by bench:speed. */
export interface Variant {
  kind: IndexKind;
  m: number;
  efConstruction: number;
  efSearch: number;
  quantization: 'f32' | 'f16' | 'i8';
  /** usearch: candidates per neighbour re-ranked exactly (0 = off). */
  rescore: number;
}

/**
 * Parses `kind[:token...]`, tokens `m<N>`, `efc<N>`, `ef<N>`, `r<N>` (rescore), `f32|f16|i8`, in
 * any order, e.g. `usearch:i8:m16:efc128:ef64:r4`; what a token does not set comes from `defaults(kind)`.
 */
export function parseVariant(spec: string, defaults: (kind: IndexKind) => Variant): Variant {
  const [kind, ...tokens] = spec.split(':');
  if (kind !== 'exact' && kind !== 'hnsw' && kind !== 'usearch') throw new Error(`variant ${spec}: kind must be exact, hnsw or usearch`);
  const v: Variant = { ...defaults(kind), kind };
  for (const t of tokens) {
    const m = /^(m|efc|ef|r)(\d+)$/.exec(t);
    if (t === 'f32' || t === 'f16' || t === 'i8') v.quantization = t;
    else if (m?.[1] === 'r') v.rescore = Number(m[2]);
    else if (m !== null && Number(m[2]) > 0) {
      const n = Number(m[2]);
      if (m[1] === 'm') v.m = n;
      else if (m[1] === 'efc') v.efConstruction = n;
      else v.efSearch = n;
    } else throw new Error(`variant ${spec}: unknown token ${t} (use m<N>, efc<N>, ef<N>, r<N>, f32, f16 or i8)`);
  }
  return v;
}

export function variantLabel(v: Variant): string {
  if (v.kind === 'exact') return 'exact';
  const usearch = v.kind === 'usearch';
  return `${v.kind}${usearch ? ` ${v.quantization}` : ''} M${v.m} efC${v.efConstruction} ef${v.efSearch}${usearch && v.rescore > 1 ? ` rescore x${v.rescore}` : ''}`;
}

/**
 * Outcome columns for a pool of `models` models over `rows` base rows (row-major, `real` models
 * per row in the inputs). The first min(models, real) columns are the real ones; each further
 * model j copies real column j mod real with seeded noise: a binary quality flips with
 * probability 0.1 (a graded one moves by N(0, 0.1), clamped to [0, 1]); cost and tokens are
 * scaled by a per-model factor exp(N(0, 0.3)) times a per-cell exp(N(0, 0.1)). The pool thus
 * has models that are similar to real ones but not copies, so argmax ties stay rare.
 */
export function syntheticOutcomes(
  real: { quality: Float64Array; cost: Float64Array; tokens: Float64Array },
  realModels: number,
  rows: number,
  models: number,
  seed = 17,
): { quality: Float64Array; cost: Float64Array; tokens: Float64Array } {
  if (!Number.isInteger(models) || models < 1) throw new Error(`models must be a positive integer, got ${models}`);
  const quality = new Float64Array(rows * models);
  const cost = new Float64Array(rows * models);
  const tokens = new Float64Array(rows * models);
  for (let j = 0; j < models; j++) {
    const src = j % realModels;
    const synthetic = j >= realModels;
    const rand = mulberry32(Math.imul(j + 1, 0x9e3779b1) ^ seed);
    const modelScale = synthetic ? Math.exp(0.3 * gaussian(rand)) : 1;
    for (let i = 0; i < rows; i++) {
      const from = i * realModels + src;
      const to = i * models + j;
      let q = real.quality[from]!;
      let c = real.cost[from]!;
      let t = real.tokens[from]!;
      if (synthetic) {
        if (q === 0 || q === 1) q = rand() < 0.1 ? 1 - q : q;
        else if (!Number.isNaN(q)) q = Math.min(1, Math.max(0, q + 0.1 * gaussian(rand)));
        const cell = Math.exp(0.1 * gaussian(rand));
        c *= modelScale * cell;
        t *= cell;
      }
      quality[to] = q;
      cost[to] = c;
      tokens[to] = t;
    }
  }
  return { quality, cost, tokens };
}
