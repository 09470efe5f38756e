import hnswlib from 'hnswlib-node';
import { AnnError } from './errors.ts';
import { readMeta, writeMeta, type IndexMeta } from './meta.ts';
import type { AnnIndex, SearchResult } from './types.ts';
import { checkK, rowsOf } from './validate.ts';

/**
 * HNSW (Malkov & Yashunin, TPAMI 2018) through hnswlib-node. The binding takes plain JS arrays,
 * not typed arrays, so each vector is copied into an Array on the way in; and it has no batch
 * search, so searchBatch loops.
 */
export class HnswIndex implements AnnIndex {
  readonly kind = 'hnsw' as const;
  private readonly index: hnswlib.HierarchicalNSW;
  private rows = 0;
  private readonly scratch: number[];

  private constructor(
    readonly dim: number,
    private readonly meta: Omit<IndexMeta, 'size' | 'kind' | 'dim' | 'version' | 'quantization' | 'rescore'>,
    index: hnswlib.HierarchicalNSW,
    rows: number,
  ) {
    this.index = index;
    this.rows = rows;
    this.scratch = new Array<number>(dim).fill(0);
  }

  static create(dim: number, capacity: number, m: number, efConstruction: number, efSearch: number, seed: number): HnswIndex {
    const index = new hnswlib.HierarchicalNSW('ip', dim);
    index.initIndex(Math.max(16, capacity), m, efConstruction, seed);
    index.setEf(efSearch);
    return new HnswIndex(dim, { m, efConstruction, efSearch, seed }, index, 0);
  }

  static async load(path: string): Promise<HnswIndex> {
    const meta = await readMeta(path, 'hnsw');
    const index = new hnswlib.HierarchicalNSW('ip', meta.dim);
    try {
      await index.readIndex(path);
    } catch (e) {
      throw new AnnError('bad_file', `cannot read hnsw index ${path}: ${(e as Error).message}`, { cause: e });
    }
    index.setEf(meta.efSearch);
    if (index.getCurrentCount() !== meta.size) {
      throw new AnnError('bad_file', `${path}: ${index.getCurrentCount()} rows, side file says ${meta.size}`);
    }
    return new HnswIndex(meta.dim, meta, index, meta.size);
  }

  get size(): number {
    return this.rows;
  }

  private toArray(v: Float32Array, offset: number): number[] {
    const a = this.scratch;
    for (let j = 0; j < this.dim; j++) a[j] = v[offset + j]!;
    return a;
  }

  add(vectors: Float32Array): number {
    const n = rowsOf(vectors, this.dim, 'add');
    const first = this.rows;
    const max = this.index.getMaxElements();
    if (this.rows + n > max) this.index.resizeIndex(Math.max(this.rows + n, max * 2));
    for (let i = 0; i < n; i++) this.index.addPoint(this.toArray(vectors, i * this.dim), first + i);
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
    const kk = Math.min(k, this.rows);
    if (kk === 0) return { ids, scores };
    for (let q = 0; q < nq; q++) {
      const r = this.index.searchKnn(this.toArray(queries, q * this.dim), kk);
      // hnswlib returns ascending distance 1 - <x, q>.
      for (let j = 0; j < r.neighbors.length; j++) {
        ids[q * k + j] = r.neighbors[j]!;
        scores[q * k + j] = 1 - r.distances[j]!;
      }
    }
    return { ids, scores };
  }

  async save(path: string): Promise<void> {
    try {
      await this.index.writeIndex(path);
    } catch (e) {
      throw new AnnError('io', `cannot write ${path}: ${(e as Error).message}`, { cause: e });
    }
    await writeMeta(path, { version: 1, kind: 'hnsw', dim: this.dim, size: this.rows, quantization: 'f32', rescore: 0, ...this.meta });
  }
}
