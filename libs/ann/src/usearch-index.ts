import { Index, MetricKind, ScalarKind } from 'usearch';
import { AnnError } from './errors.ts';
import { readMeta, writeMeta, type IndexMeta } from './meta.ts';
import type { AnnIndex, SearchResult } from './types.ts';
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

  private constructor(
    readonly dim: number,
    private readonly meta: Omit<IndexMeta, 'size' | 'kind' | 'dim' | 'version'>,
    private readonly index: Index,
    rows: number,
  ) {
    this.rows = rows;
  }

  private static build(dim: number, m: number, efConstruction: number, efSearch: number, quantization: Quantization): Index {
    return new Index({
      dimensions: dim,
      // usearch's i8 inner product is the raw integer dot of the quantised vectors (scale ~127^2),
      // not a cosine; its i8 cosine normalises by the quantised norms. Stored and query vectors
      // are unit length, so cosine ranks as inner product does and 1 - distance stays a cosine.
      metric: quantization === 'i8' ? MetricKind.Cos : MetricKind.IP,
      quantization: SCALAR[quantization],
      connectivity: m,
      expansion_add: efConstruction,
      expansion_search: efSearch,
      multi: false,
    });
  }

  static create(dim: number, m: number, efConstruction: number, efSearch: number, seed: number, quantization: Quantization): UsearchIndex {
    const index = UsearchIndex.build(dim, m, efConstruction, efSearch, quantization);
    return new UsearchIndex(dim, { m, efConstruction, efSearch, seed, quantization }, index, 0);
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
    return new UsearchIndex(meta.dim, meta, index, meta.size);
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
    const r = this.index.search(queries, k, 1);
    // One query comes back as Matches (no counts), several as BatchMatches.
    const counts = 'counts' in r ? (r.counts as BigUint64Array) : undefined;
    for (let q = 0; q < nq; q++) {
      const c = counts === undefined ? r.keys.length : Number(counts[q]);
      for (let j = 0; j < c && j < k; j++) {
        ids[q * k + j] = Number(r.keys[q * k + j]!);
        // usearch's "ip" (and "cos") distance is 1 - <x, q> for unit vectors.
        scores[q * k + j] = 1 - r.distances[q * k + j]!;
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
    await writeMeta(path, { version: 1, kind: 'usearch', dim: this.dim, size: this.rows, ...this.meta });
  }
}
