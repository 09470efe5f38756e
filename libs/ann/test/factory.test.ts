import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnnError, createIndex, ExactIndex, loadIndex, recallAtK, type IndexKind } from '../src/index.ts';

function unitVectors(n: number, dim: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const rand = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296 - 0.5;
  };
  const v = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let j = 0; j < dim; j++) {
      const x = rand();
      v[i * dim + j] = x;
      norm += x * x;
    }
    for (let j = 0; j < dim; j++) v[i * dim + j]! /= Math.sqrt(norm);
  }
  return v;
}

function naiveTopK(data: Float32Array, q: Float32Array, dim: number, k: number): number[] {
  const n = data.length / dim;
  const scored: [number, number][] = [];
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += data[r * dim + j]! * q[j]!;
    scored.push([s, r]);
  }
  scored.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  return scored.slice(0, k).map((x) => x[1]);
}

const dim = 24;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ann-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('exact index', () => {
  it('matches a naive sort for every query shape (block of 4 and remainder)', () => {
    const data = unitVectors(300, dim, 1);
    const queries = unitVectors(7, dim, 2);
    const idx = createIndex('exact', { dim, capacity: 10 });
    idx.add(data);
    const k = 5;
    const r = idx.searchBatch(queries, k);
    for (let q = 0; q < 7; q++) {
      expect(Array.from(r.ids.subarray(q * k, q * k + k))).toEqual(naiveTopK(data, queries.subarray(q * dim, (q + 1) * dim), dim, k));
      for (let j = 1; j < k; j++) expect(r.scores[q * k + j - 1]!).toBeGreaterThanOrEqual(r.scores[q * k + j]!);
    }
  });

  it('pads with -1 when the index holds fewer than k rows', () => {
    const idx = createIndex('exact', { dim });
    idx.add(unitVectors(2, dim, 3));
    const r = idx.search(unitVectors(1, dim, 4), 4);
    expect(Array.from(r.ids.subarray(2))).toEqual([-1, -1]);
    expect(r.scores[3]).toBe(-Infinity);
  });

  it('rejects vectors of the wrong dimension with a coded error', () => {
    const idx = createIndex('exact', { dim });
    expect(() => idx.add(new Float32Array(dim + 1))).toThrow(AnnError);
    try {
      idx.search(new Float32Array(dim - 1), 1);
    } catch (e) {
      expect((e as AnnError).code).toBe('bad_dimension');
    }
  });
});

describe.each<IndexKind>(['exact', 'hnsw', 'usearch'])('%s index', (kind) => {
  const data = unitVectors(2000, dim, 11);
  const queries = unitVectors(50, dim, 12);
  const k = 5;
  const truth = (() => {
    const e = new ExactIndex(dim);
    e.add(data);
    return e.searchBatch(queries, k).ids;
  })();

  it('grows past its capacity with sequential ids and stays accurate', () => {
    const idx = createIndex(kind, { dim, capacity: 100, efSearch: 128 });
    expect(idx.add(data.subarray(0, 1000 * dim))).toBe(0);
    expect(idx.add(data.subarray(1000 * dim))).toBe(1000);
    expect(idx.size).toBe(2000);
    const r = idx.searchBatch(queries, k);
    expect(recallAtK(truth, r.ids, k)).toBeGreaterThan(kind === 'exact' ? 0.999 : 0.9);
    // A stored row is its own nearest neighbour, under its insertion id.
    const self = idx.search(data.subarray(1500 * dim, 1501 * dim), 1);
    expect(self.ids[0]).toBe(1500);
    expect(self.scores[0]).toBeCloseTo(1, 4);
  });

  it('round-trips through save and load, then keeps accepting rows', async () => {
    const idx = createIndex(kind, { dim, capacity: 2000 });
    idx.add(data);
    const path = join(dir, `idx-${kind}.bin`);
    await idx.save(path);
    const back = await loadIndex(kind, path);
    expect(back.dim).toBe(dim);
    expect(back.size).toBe(2000);
    const a = idx.searchBatch(queries, k);
    const b = back.searchBatch(queries, k);
    expect(Array.from(b.ids)).toEqual(Array.from(a.ids));
    expect(back.add(unitVectors(3, dim, 13))).toBe(2000);
    expect(back.size).toBe(2003);
  });

  it('returns one result row per query with -1 padding on an empty index', () => {
    const idx = createIndex(kind, { dim });
    const r = idx.searchBatch(queries.subarray(0, 2 * dim), 3);
    expect(Array.from(r.ids)).toEqual([-1, -1, -1, -1, -1, -1]);
  });
});

describe('recallAtK', () => {
  it('counts shared ids per query', () => {
    expect(recallAtK(Int32Array.from([1, 2, 3, 4]), Int32Array.from([2, 9, 4, 3]), 2)).toBeCloseTo(0.75);
  });
});

describe('usearch options', () => {
  it('keeps its storage precision across save and load', async () => {
    const data = unitVectors(500, dim, 21);
    const idx = createIndex('usearch', { dim, quantization: 'i8', addThreads: 2 });
    idx.add(data);
    const path = join(dir, 'usearch-i8.bin');
    await idx.save(path);
    const back = await loadIndex('usearch', path);
    const q = unitVectors(20, dim, 22);
    expect(Array.from(back.searchBatch(q, 3).ids)).toEqual(Array.from(idx.searchBatch(q, 3).ids));
    // The quantised row norms that turn i8 dots into cosines travel in a side file.
    expect(Array.from(back.searchBatch(q, 3).scores)).toEqual(Array.from(idx.searchBatch(q, 3).scores));
    await rm(`${path}.norms.f32`);
    await expect(loadIndex('usearch', path)).rejects.toMatchObject({ code: 'bad_file' });
    // i8 distances are coarser than f32 ones but still rank a stored row first for itself.
    expect(back.search(data.subarray(7 * dim, 8 * dim), 1).ids[0]).toBe(7);
  });

  it('scores i8 neighbours as cosines, close to the exact scores', () => {
    const data = unitVectors(500, dim, 24);
    const q = unitVectors(20, dim, 25);
    const exact = new ExactIndex(dim);
    exact.add(data);
    const idx = createIndex('usearch', { dim, quantization: 'i8' });
    idx.add(data);
    const want = exact.searchBatch(q, 1).scores;
    const got = idx.searchBatch(q, 1).scores;
    for (let i = 0; i < 20; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(0.05);
    expect(idx.search(data.subarray(3 * dim, 4 * dim), 1).scores[0]).toBeCloseTo(1, 2);
  });

  it('re-ranks i8 candidates by their exact inner product, also after save and load', async () => {
    const data = unitVectors(1500, dim, 26);
    const q = unitVectors(40, dim, 27);
    const exact = new ExactIndex(dim);
    exact.add(data);
    const truth = exact.searchBatch(q, 5);
    const plain = createIndex('usearch', { dim, quantization: 'i8', rescore: 0, efSearch: 128 });
    const rescored = createIndex('usearch', { dim, quantization: 'i8', rescore: 4, efSearch: 128 });
    plain.add(data);
    rescored.add(data.subarray(0, 700 * dim));
    rescored.add(data.subarray(700 * dim));
    const r = rescored.searchBatch(q, 5);
    expect(recallAtK(truth.ids, r.ids, 5)).toBeGreaterThan(recallAtK(truth.ids, plain.searchBatch(q, 5).ids, 5));
    expect(recallAtK(truth.ids, r.ids, 5)).toBeGreaterThan(0.97);
    // Found neighbours carry their exact scores, best first.
    for (let i = 0; i < r.ids.length; i++) {
      const id = r.ids[i]!;
      let s = 0;
      for (let j = 0; j < dim; j++) s += data[id * dim + j]! * q[Math.floor(i / 5) * dim + j]!;
      expect(r.scores[i]).toBeCloseTo(s, 5);
      if (i % 5 > 0) expect(r.scores[i]).toBeLessThanOrEqual(r.scores[i - 1]!);
    }
    const path = join(dir, 'usearch-rescore.bin');
    await rescored.save(path);
    const back = await loadIndex('usearch', path);
    expect(Array.from(back.searchBatch(q, 5).scores)).toEqual(Array.from(r.scores));
    await rm(`${path}.rows.f32`);
    await expect(loadIndex('usearch', path)).rejects.toMatchObject({ code: 'bad_file' });
  });

  it('rejects a non-positive thread count', () => {
    expect(() => createIndex('usearch', { dim, addThreads: 0 })).toThrow(AnnError);
  });

  it('refuses to load a file as the wrong kind', async () => {
    const idx = createIndex('hnsw', { dim });
    idx.add(unitVectors(10, dim, 23));
    const path = join(dir, 'kind.bin');
    await idx.save(path);
    await expect(loadIndex('usearch', path)).rejects.toMatchObject({ code: 'bad_file' });
    await expect(loadIndex('exact', path)).rejects.toMatchObject({ code: 'bad_file' });
  });
});
