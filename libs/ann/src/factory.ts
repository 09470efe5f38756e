import { AnnError } from './errors.ts';
import { ExactIndex } from './exact.ts';
import { HnswIndex } from './hnsw.ts';
import type { AnnIndex, IndexKind, IndexOptions } from './types.ts';
import { UsearchIndex } from './usearch-index.ts';

/**
 * Graph defaults from bench/ann on the RouterBench subset's embeddings (d = 256, 953 real test
 * prompts as queries): at 10k rows, M = 16 / efConstruction = 128 / efSearch = 64 reaches
 * recall@5 0.98 with hnswlib-node and usearch alike. Reference sets of 100k+ rows that must
 * sustain high decision rates trade recall for speed with a lower efSearch (see
 * bench/ann/README.md and bench/speed/README.md for the measured trade-off).
 */
export const DEFAULT_GRAPH_OPTIONS = Object.freeze({ m: 16, efConstruction: 128, efSearch: 64, seed: 100 });

/** Storage precision of a usearch index created without `quantization`. */
export const DEFAULT_USEARCH_QUANTIZATION: 'f32' | 'f16' | 'i8' = 'i8';

export function createIndex(kind: IndexKind, opts: IndexOptions): AnnIndex {
  if (!Number.isInteger(opts.dim) || opts.dim < 1) throw new AnnError('bad_argument', `dim must be a positive integer, got ${opts.dim}`);
  const capacity = opts.capacity ?? 1024;
  const m = opts.m ?? DEFAULT_GRAPH_OPTIONS.m;
  const efC = opts.efConstruction ?? DEFAULT_GRAPH_OPTIONS.efConstruction;
  const efS = opts.efSearch ?? DEFAULT_GRAPH_OPTIONS.efSearch;
  const seed = opts.seed ?? DEFAULT_GRAPH_OPTIONS.seed;
  switch (kind) {
    case 'exact':
      return new ExactIndex(opts.dim, capacity);
    case 'hnsw':
      return HnswIndex.create(opts.dim, capacity, m, efC, efS, seed);
    case 'usearch': {
      const index = UsearchIndex.create(opts.dim, m, efC, efS, seed, opts.quantization ?? DEFAULT_USEARCH_QUANTIZATION);
      const threads = opts.addThreads ?? 1;
      if (!Number.isInteger(threads) || threads < 1) throw new AnnError('bad_argument', `addThreads must be a positive integer, got ${threads}`);
      index.addThreads = threads;
      return index;
    }
    default:
      throw new AnnError('bad_argument', `unknown index kind ${String(kind)}`);
  }
}

export async function loadIndex(kind: IndexKind, path: string): Promise<AnnIndex> {
  switch (kind) {
    case 'exact':
      return ExactIndex.load(path);
    case 'hnsw':
      return HnswIndex.load(path);
    case 'usearch':
      return UsearchIndex.load(path);
    default:
      throw new AnnError('bad_argument', `unknown index kind ${String(kind)}`);
  }
}
