import { readFile, writeFile } from 'node:fs/promises';
import { AnnError } from './errors.ts';
import { TopK } from './topk.ts';
import type { AnnIndex, SearchResult } from './types.ts';
import { checkK, rowsOf } from './validate.ts';

const MAGIC = 0x58414e4e; // "ANNX"
const VERSION = 1;
/** Queries scored together per pass over the data: each reference row is loaded once per block. */
const QUERY_BLOCK = 4;

/**
 * Brute-force inner-product search: the ground truth for recall, and the kNN baselines' index.
 * Rows live in one growable Float32Array; a batch is processed QUERY_BLOCK queries at a time so
 * every reference row read from memory serves four dot products (memory bandwidth, not
 * arithmetic, bounds brute force at this size).
 */
export class ExactIndex implements AnnIndex {
  readonly kind = 'exact' as const;
  private data: Float32Array;
  private rows = 0;

  constructor(
    readonly dim: number,
    capacity = 1024,
  ) {
    if (!Number.isInteger(dim) || dim < 1) throw new AnnError('bad_argument', `dim must be a positive integer, got ${dim}`);
    this.data = new Float32Array(Math.max(1, capacity) * dim);
  }

  get size(): number {
    return this.rows;
  }

  /** Row-major view of the stored vectors (no copy). */
  vectors(): Float32Array {
    return this.data.subarray(0, this.rows * this.dim);
  }

  add(vectors: Float32Array): number {
    const n = rowsOf(vectors, this.dim, 'add');
    const first = this.rows;
    const need = (this.rows + n) * this.dim;
    if (need > this.data.length) {
      const grown = new Float32Array(Math.max(need, this.data.length * 2));
      grown.set(this.data.subarray(0, this.rows * this.dim));
      this.data = grown;
    }
    this.data.set(vectors, this.rows * this.dim);
    this.rows += n;
    return first;
  }

  search(query: Float32Array, k: number): SearchResult {
    if (query.length !== this.dim) throw new AnnError('bad_dimension', `query has length ${query.length}, need ${this.dim}`);
    return this.searchBatch(query, k);
  }

  searchBatch(queries: Float32Array, k: number): SearchResult {
    checkK(k);
    const d = this.dim;
    const nq = rowsOf(queries, d, 'searchBatch');
    const ids = new Int32Array(nq * k);
    const scores = new Float32Array(nq * k);
    const tops = Array.from({ length: QUERY_BLOCK }, () => new TopK(k));
    const data = this.data;
    const rows = this.rows;
    for (let q0 = 0; q0 < nq; q0 += QUERY_BLOCK) {
      const nb = Math.min(QUERY_BLOCK, nq - q0);
      for (const t of tops) t.reset();
      const [t0, t1, t2, t3] = tops as [TopK, TopK, TopK, TopK];
      if (nb === 4) {
        const a = q0 * d;
        const b = a + d;
        const c = b + d;
        const e = c + d;
        for (let r = 0; r < rows; r++) {
          const o = r * d;
          let s0 = 0;
          let s1 = 0;
          let s2 = 0;
          let s3 = 0;
          for (let j = 0; j < d; j++) {
            const x = data[o + j]!;
            s0 += x * queries[a + j]!;
            s1 += x * queries[b + j]!;
            s2 += x * queries[c + j]!;
            s3 += x * queries[e + j]!;
          }
          if (s0 > t0.worst) t0.push(s0, r);
          if (s1 > t1.worst) t1.push(s1, r);
          if (s2 > t2.worst) t2.push(s2, r);
          if (s3 > t3.worst) t3.push(s3, r);
        }
      } else {
        for (let qi = 0; qi < nb; qi++) {
          const a = (q0 + qi) * d;
          const t = tops[qi]!;
          for (let r = 0; r < rows; r++) {
            const o = r * d;
            let s = 0;
            for (let j = 0; j < d; j++) s += data[o + j]! * queries[a + j]!;
            if (s > t.worst) t.push(s, r);
          }
        }
      }
      for (let qi = 0; qi < nb; qi++) tops[qi]!.writeTo(ids, scores, (q0 + qi) * k);
    }
    return { ids, scores };
  }

  async save(path: string): Promise<void> {
    const header = new Uint32Array([MAGIC, VERSION, this.dim, this.rows]);
    const body = this.data.subarray(0, this.rows * this.dim);
    const buf = new Uint8Array(header.byteLength + body.byteLength);
    buf.set(new Uint8Array(header.buffer), 0);
    buf.set(new Uint8Array(body.buffer, body.byteOffset, body.byteLength), header.byteLength);
    try {
      await writeFile(path, buf);
    } catch (e) {
      throw new AnnError('io', `cannot write ${path}: ${(e as Error).message}`, { cause: e });
    }
  }

  static async load(path: string): Promise<ExactIndex> {
    let buf: Uint8Array;
    try {
      buf = await readFile(path);
    } catch (e) {
      throw new AnnError('io', `cannot read ${path}: ${(e as Error).message}`, { cause: e });
    }
    if (buf.byteLength < 16) throw new AnnError('bad_file', `${path}: too short for an exact index`);
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const magic = view.getUint32(0, true);
    const version = view.getUint32(4, true);
    const dim = view.getUint32(8, true);
    const rows = view.getUint32(12, true);
    if (magic !== MAGIC || version !== VERSION) throw new AnnError('bad_file', `${path}: not an exact index file`);
    if (buf.byteLength !== 16 + rows * dim * 4) throw new AnnError('bad_file', `${path}: truncated (${rows} x ${dim} expected)`);
    const idx = new ExactIndex(dim, rows);
    // Copy into an aligned buffer: a Node Buffer may start at any offset of a shared pool.
    const body = new Float32Array(rows * dim);
    new Uint8Array(body.buffer).set(buf.subarray(16));
    idx.add(body);
    return idx;
  }
}
