/**
 * Reference sets at scale for the ANN and speed benchmarks. The real subset has 3,178 prompts;
 * larger sets are built by perturbing real embeddings (v = normalise(base + sigma * g / sqrt(d)),
 * g standard normal), which keeps the real set's cluster structure (tasks, shared preambles)
 * while making every row distinct. sigma = 0.75 gives cos(v, base) of about 0.8, so perturbed
 * copies of one prompt are near each other but not duplicates, which would flatter graph search.
 */
import { defaultDatasetPath, gaussian, generateSyntheticDataset, loadDataset, mulberry32, type Dataset } from '@switchyard/datasets';
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
    source: path ? `${dataset.name} (real)` : `${dataset.name} (generated: real data absent)`,
    dataset,
    embedder,
    history,
    testPrompts: dataset.test.map((q) => q.prompt),
  };
}

/** `n` unit vectors near rows of `base` (row i derives from base row i mod nBase), deterministic. */
export function perturbedReferenceSet(base: Float32Array, dim: number, n: number, seed: number, sigma = 0.75): Float32Array {
  const nBase = base.length / dim;
  const rand = mulberry32(seed);
  const out = new Float32Array(n * dim);
  const scale = sigma / Math.sqrt(dim);
  for (let i = 0; i < n; i++) {
    const b = (i % nBase) * dim;
    const o = i * dim;
    let sq = 0;
    for (let j = 0; j < dim; j++) {
      // Row i < nBase is the real vector itself, so the real reference set is a prefix.
      const x = base[b + j]! + (i < nBase ? 0 : scale * gaussian(rand));
      out[o + j] = x;
      sq += x * x;
    }
    const inv = sq > 0 ? 1 / Math.sqrt(sq) : 0;
    for (let j = 0; j < dim; j++) out[o + j]! *= inv;
  }
  return out;
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
