import { readFile, writeFile } from 'node:fs/promises';
import { Index, MetricKind, ScalarKind } from 'usearch';
import { AnnError } from './errors.ts';
import { readMeta, writeMeta, type IndexMeta } from './meta.ts';
import type { AnnIndex, SearchResult } from './types.ts';
import { TopK } from './topk.ts';
import { checkK, rowsOf } from './validate.ts';

type Quantization = IndexMeta['quantization'];
const SCALAR: Record<Quantization, ScalarKind> = { f32: ScalarKind.F32, f16: ScalarKind.F16, i8: ScalarKind.I8 };

/**
 * HNSW through usearch (Unum): typed arrays in, batch add and search in native code. Search
 * threads are pinned to 1: the router scales by processes/workers, one core each, and a native
 * pool per index would oversubscribe them. Bulk builds may use more (`addThreads`).
 */
export class UsearchIndex implements AnnIndex {
  readonly kind = 'usearch' as const;
  private rows: number;
  addThreads = 1;
  /** i8 only: norm of each stored row's quantised vector (see i8Norm), by id. */
  private norms: Float32Array;
  /** With rescore > 1: the rows as added (f32), row-major by id. */
  private exact: Float32Array;

  private constructor(
    readonly dim: number,
    private readonly meta: Omit<IndexMeta, 'size' | 'kind' | 'dim' | 'version'>,
    private readonly index: Index,
    rows: number,
    norms?: Float32Array,
    exact?: Float32Array,
  ) {
    this.rows = rows;
    this.norms = norms ?? new Float32Array(meta.quantization === 'i8' ? Math.max(16, rows) : 0);
    this.exact = exact ?? new Float32Array(meta.rescore > 1 ? Math.max(16, rows) * dim : 0);
  }

  private static build(dim: number, m: number, efConstruction: number, efSearch: number, quantization: Quantization): Index {
    return new Index({
      dimensions: dim,
      // For i8, usearch's inner product is the raw integer dot of the quantised vectors; scores
      // are turned back into cosines in searchBatch (i8Norm). Its i8 cosine metric would do that
      // per distance and searched ~40% slower in bench/speed.
      metric: MetricKind.IP,
      quantization: SCALAR[quantization],
      connectivity: m,
      expansion_add: efConstruction,
      expansion_search: efSearch,
      multi: false,
    });
  }

  static create(dim: number, m: number, efConstruction: number, efSearch: number, seed: number, quantization: Quantization, rescore = 0): UsearchIndex {
    if (!Number.isInteger(rescore) || rescore < 0) throw new AnnError('bad_argument', `rescore must be a non-negative integer, got ${rescore}`);
    const index = UsearchIndex.build(dim, m, efConstruction, efSearch, quantization);
    return new UsearchIndex(dim, { m, efConstruction, efSearch, seed, quantization, rescore }, index, 0);
  }

  static async load(path: string): Promise<UsearchIndex> {
    const meta = await readMeta(path, 'usearch');
    const index = UsearchIndex.build(meta.dim, meta.m, meta.efConstruction, meta.efSearch, meta.quantization);
    try {
      index.load(path);
    } catch (e) {
      throw new AnnError('bad_file', `cannot read usearch index ${path}: ${(e as Error).message}`, { cause: e });
    }
    if (index.size() !== meta.size) throw new AnnError('bad_file', `${path}: ${index.size()} rows, side file says ${meta.size}`);
    let norms: Float32Array | undefined;
    if (meta.quantization === 'i8') {
      let buf: Uint8Array;
      try {
        buf = await readFile(normsPath(path));
      } catch (e) {
        throw new AnnError('bad_file', `${path}: no row norms file ${normsPath(path)} (an i8 index needs it)`, { cause: e });
      }
      if (buf.byteLength !== meta.size * 4) throw new AnnError('bad_file', `${normsPath(path)}: ${buf.byteLength / 4} norms for ${meta.size} rows`);
      norms = new Float32Array(Math.max(16, meta.size));
      new Uint8Array(norms.buffer).set(buf);
    }
    let exact: Float32Array | undefined;
    if (meta.rescore > 1) {
      let buf: Uint8Array;
      try {
        buf = await readFile(rowsPath(path));
      } catch (e) {
        throw new AnnError('bad_file', `${path}: no rows file ${rowsPath(path)} (a re-scoring index needs it)`, { cause: e });
      }
      if (buf.byteLength !== meta.size * meta.dim * 4) throw new AnnError('bad_file', `${rowsPath(path)}: wrong length for ${meta.size} rows`);
      exact = new Float32Array(Math.max(16, meta.size) * meta.dim);
      new Uint8Array(exact.buffer).set(buf);
    }
    return new UsearchIndex(meta.dim, meta, index, meta.size, norms, exact);
  }

  get size(): number {
    return this.rows;
  }

  add(vectors: Float32Array): number {
    const n = rowsOf(vectors, this.dim, 'add');
    const first = this.rows;
    if (n === 0) return first;
    const keys = new BigUint64Array(n);
    for (let i = 0; i < n; i++) keys[i] = BigInt(first + i);
    try {
      this.index.add(keys, vectors, this.addThreads);
    } catch (e) {
      throw new AnnError('native', `usearch add failed: ${(e as Error).message}`, { cause: e });
    }
    if (this.meta.quantization === 'i8') {
      if (first + n > this.norms.length) {
        const grown = new Float32Array(Math.max(first + n, this.norms.length * 2));
        grown.set(this.norms.subarray(0, first));
        this.norms = grown;
      }
      for (let i = 0; i < n; i++) this.norms[first + i] = i8Norm(vectors, i * this.dim, this.dim);
    }
    if (this.meta.rescore > 1) {
      const need = (first + n) * this.dim;
      if (need > this.exact.length) {
        const grown = new Float32Array(Math.max(need, this.exact.length * 2));
        grown.set(this.exact.subarray(0, first * this.dim));
        this.exact = grown;
      }
      this.exact.set(vectors, first * this.dim);
    }
    this.rows += n;
    return first;
  }

  search(query: Float32Array, k: number): SearchResult {
    if (query.length !== this.dim) throw new AnnError('bad_dimension', `query has length ${query.length}, need ${this.dim}`);
    return this.searchBatch(query, k);
  }

  searchBatch(queries: Float32Array, k: number): SearchResult {
    checkK(k);
    const nq = rowsOf(queries, this.dim, 'searchBatch');
    const ids = new Int32Array(nq * k).fill(-1);
    const scores = new Float32Array(nq * k).fill(-Infinity);
    if (nq === 0 || this.rows === 0) return { ids, scores };
    const rescore = this.meta.rescore > 1;
    const kk = rescore ? Math.min(k * this.meta.rescore, this.rows) : k;
    const r = this.index.search(queries, kk, 1);
    // One query comes back as Matches (no counts), several as BatchMatches.
    const counts = 'counts' in r ? (r.counts as BigUint64Array) : undefined;
    const i8 = this.meta.quantization === 'i8';
    const d = this.dim;
    const top = new TopK(k);
    const rows = this.exact;
    const keys = r.keys;
    for (let q = 0; q < nq; q++) {
      const c = counts === undefined ? r.keys.length : Number(counts[q]);
      if (rescore) {
        // Exact inner products of the candidates, best k kept (ties: graph order).
        top.reset();
        const qo = q * d;
        for (let j = 0; j < c && j < kk; j++) {
          const id = Number(keys[q * kk + j]!);
          const ro = id * d;
          let s = 0;
          for (let x = 0; x < d; x++) s += queries[qo + x]! * rows[ro + x]!;
          top.push(s, id);
        }
        top.writeTo(ids, scores, q * k);
        continue;
      }
      const qn = i8 ? i8Norm(queries, q * d, d) : 1;
      for (let j = 0; j < c && j < k; j++) {
        const id = Number(r.keys[q * k + j]!);
        ids[q * k + j] = id;
        // usearch's "ip" distance is 1 - <x, q>; for i8, <x, q> is the dot of the quantised
        // vectors, which divided by their norms is the cosine usearch's i8 "cos" would give.
        const dot = 1 - r.distances[q * k + j]!;
        scores[q * k + j] = i8 ? (qn > 0 && this.norms[id]! > 0 ? dot / (qn * this.norms[id]!) : 0) : dot;
      }
    }
    return { ids, scores };
  }

  async save(path: string): Promise<void> {
    try {
      this.index.save(path);
    } catch (e) {
      throw new AnnError('io', `cannot write ${path}: ${(e as Error).message}`, { cause: e });
    }
    if (this.meta.quantization === 'i8') {
      const norms = this.norms.subarray(0, this.rows);
      try {
        await writeFile(normsPath(path), new Uint8Array(norms.buffer, norms.byteOffset, norms.byteLength));
      } catch (e) {
        throw new AnnError('io', `cannot write ${normsPath(path)}: ${(e as Error).message}`, { cause: e });
      }
    }
    if (this.meta.rescore > 1) {
      const rows = this.exact.subarray(0, this.rows * this.dim);
      try {
        await writeFile(rowsPath(path), new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength));
      } catch (e) {
        throw new AnnError('io', `cannot write ${rowsPath(path)}: ${(e as Error).message}`, { cause: e });
      }
    }
    await writeMeta(path, { version: 1, kind: 'usearch', dim: this.dim, size: this.rows, ...this.meta });
  }
}

const normsPath = (path: string): string => `${path}.norms.f32`;
const rowsPath = (path: string): string => `${path}.rows.f32`;

/**
 * L2 norm of row `offset / dim` of `v` as usearch stores it in i8: each component scaled by
 * 127 / |row| and truncated toward zero (usearch's cast_to_i8_gt, in double precision).
 */
export function i8Norm(v: Float32Array, offset: number, dim: number): number {
  let mag = 0;
  for (let j = 0; j < dim; j++) mag += v[offset + j]! * v[offset + j]!;
  mag = Math.sqrt(mag);
  if (!(mag > 0)) return 0;
  let sq = 0;
  for (let j = 0; j < dim; j++) {
    const x = Math.trunc(Math.min(127, Math.max(-127, (v[offset + j]! * 127) / mag)));
    sq += x * x;
  }
  return Math.sqrt(sq);
}
