/**
 * Reference sets at scale for the ANN and speed benchmarks. The real subset has 3,178 prompts;
 * larger sets are built by perturbing real embeddings (v = normalise(base + sigma * g / sqrt(d)),
 * g standard normal), which keeps the real set's cluster structure (tasks, shared preambles)
 * while making every row distinct. sigma = 0.75 gives cos(v, base) of about 0.8, so perturbed
 * copies of one prompt are near each other but not duplicates, which would flatter graph search.
 */
import { defaultDatasetPath, gaussian, generateSyntheticDataset, loadDataset, mulberry32, type Dataset } from '@switchyard/datasets';
import { ExactIndex } from '@switchyard/ann';
import { createHashingEmbedder, type HashingEmbedder, type HashingEmbedderOptions } from '@switchyard/embedding';

export interface BaseVectors {
  source: string;
  dataset: Dataset;
  embedder: HashingEmbedder;
  /** Embeddings of the history prompts, row-major. */
  history: Float32Array;
  /** Test prompts (the queries a router would see). */
  testPrompts: string[];
}

export async function loadBase(dataPath?: string, embedderOptions: HashingEmbedderOptions = {}): Promise<BaseVectors> {
  const path = dataPath ?? defaultDatasetPath();
  const dataset = path
    ? await loadDataset(path, { countTokens: false })
    : generateSyntheticDataset({ nHistory: 3000, nTest: 1000, models: 11, seed: 7 });
  const embedder = createHashingEmbedder(embedderOptions).fit(dataset.history.map((q) => q.prompt));
  const history = embedder.embedBatch(dataset.history.map((q) => q.prompt));
  return {
    source: path ? `${dataset.name} (${path})` : `${dataset.name} (generated: no dataset path and no default data)`,
    dataset,
    embedder,
    history,
    testPrompts: dataset.test.map((q) => q.prompt),
  };
}

/**
 * Rows [first, first + count) of an endless deterministic sequence of unit vectors near rows of
 * `base` (row i derives from base row i mod nBase, with its own seeded noise, so any slice can
 * be generated alone and large sets can be built chunk by chunk).
 */
export function perturbedRows(base: Float32Array, dim: number, first: number, count: number, seed: number, sigma = 0.75): Float32Array {
  const nBase = base.length / dim;
  const out = new Float32Array(count * dim);
  const scale = sigma / Math.sqrt(dim);
  for (let r = 0; r < count; r++) {
    const i = first + r;
    const b = (i % nBase) * dim;
    const o = r * dim;
    // Row i < nBase is the real vector itself, so the real reference set is a prefix.
    const rand = i < nBase ? undefined : mulberry32(Math.imul(i, 0x9e3779b1) ^ seed);
    let sq = 0;
    for (let j = 0; j < dim; j++) {
      const x = base[b + j]! + (rand === undefined ? 0 : scale * gaussian(rand));
      out[o + j] = x;
      sq += x * x;
    }
    const inv = sq > 0 ? 1 / Math.sqrt(sq) : 0;
    for (let j = 0; j < dim; j++) out[o + j]! *= inv;
  }
  return out;
}

/** The first `n` rows of `perturbedRows`. */
export function perturbedReferenceSet(base: Float32Array, dim: number, n: number, seed: number, sigma = 0.75): Float32Array {
  return perturbedRows(base, dim, 0, n, seed, sigma);
}

/**
 * Exact top-k of a few queries over a reference set fed chunk by chunk, so ground truth for a
 * 1M-row set needs no second full copy of it.
 */
export class StreamingTruth {
  private readonly best: { ids: Int32Array; scores: Float32Array };
  private readonly nq: number;
  constructor(
    private readonly queries: Float32Array,
    private readonly dim: number,
    private readonly k: number,
  ) {
    this.nq = queries.length / dim;
    this.best = { ids: new Int32Array(this.nq * k).fill(-1), scores: new Float32Array(this.nq * k).fill(-Infinity) };
  }
  addChunk(rows: Float32Array, firstId: number): void {
    const idx = new ExactIndex(this.dim, rows.length / this.dim);
    idx.add(rows);
    const r = idx.searchBatch(this.queries, this.k);
    const k = this.k;
    for (let q = 0; q < this.nq; q++) {
      const merged: [number, number][] = [];
      for (let j = 0; j < k; j++) {
        if (this.best.ids[q * k + j]! >= 0) merged.push([this.best.scores[q * k + j]!, this.best.ids[q * k + j]!]);
        if (r.ids[q * k + j]! >= 0) merged.push([r.scores[q * k + j]!, r.ids[q * k + j]! + firstId]);
      }
      merged.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
      for (let j = 0; j < k; j++) {
        this.best.ids[q * k + j] = merged[j]?.[1] ?? -1;
        this.best.scores[q * k + j] = merged[j]?.[0] ?? -Infinity;
      }
    }
  }
  get ids(): Int32Array {
    return this.best.ids;
  }
}

export function rssMB(): number {
  return process.memoryUsage().rss / (1024 * 1024);
}

/** CPU milliseconds (user + system) spent by this process while running `fn`. */
export function cpuMs<T>(fn: () => T): { value: T; cpuMs: number; wallMs: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = fn();
  const c = process.cpuUsage(c0);
  return { value, cpuMs: (c.user + c.system) / 1000, wallMs: performance.now() - t0 };
}
