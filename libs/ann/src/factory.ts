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

/**
 * usearch defaults: i8 storage, efSearch 48, and the k * 2 best graph candidates re-ranked by
 * their exact f32 inner product. In bench/speed (d = 256, one core, interleaved with hnswlib-node
 * at M 16 / ef 64) this made about twice as many decisions per CPU second at 100k references,
 * past 10,000/s; re-ranking brings recall@5 at 10k references from ~0.92 (i8 alone) to ~0.97
 * (hnswlib: 0.98). Measured figures: bench/speed/README.md. bench:quality --ann usearch is
 * unchanged by it at 2,225 references.
 */
export const DEFAULT_USEARCH_OPTIONS = Object.freeze({ ...DEFAULT_GRAPH_OPTIONS, efSearch: 48, quantization: 'i8' as 'f32' | 'f16' | 'i8', rescore: 2 });

/** Graph settings `createIndex(kind, opts)` uses where opts leave them out. */
export function defaultIndexOptions(
  kind: IndexKind,
): Readonly<{ m: number; efConstruction: number; efSearch: number; seed: number; quantization: 'f32' | 'f16' | 'i8'; rescore: number }> {
  return kind === 'usearch' ? DEFAULT_USEARCH_OPTIONS : { ...DEFAULT_GRAPH_OPTIONS, quantization: 'f32', rescore: 0 };
}

export function createIndex(kind: IndexKind, opts: IndexOptions): AnnIndex {
  if (!Number.isInteger(opts.dim) || opts.dim < 1) throw new AnnError('bad_argument', `dim must be a positive integer, got ${opts.dim}`);
  const capacity = opts.capacity ?? 1024;
  const defaults = defaultIndexOptions(kind);
  const m = opts.m ?? defaults.m;
  const efC = opts.efConstruction ?? defaults.efConstruction;
  const efS = opts.efSearch ?? defaults.efSearch;
  const seed = opts.seed ?? defaults.seed;
  switch (kind) {
    case 'exact':
      return new ExactIndex(opts.dim, capacity);
    case 'hnsw':
      return HnswIndex.create(opts.dim, capacity, m, efC, efS, seed);
    case 'usearch': {
      const index = UsearchIndex.create(opts.dim, m, efC, efS, seed, opts.quantization ?? defaults.quantization, opts.rescore ?? defaults.rescore);
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
