export type IndexKind = 'exact' | 'hnsw' | 'usearch';

/** n x k row-major; a row with fewer than k neighbours is padded with id -1 and score -Infinity. */
export interface SearchResult {
  ids: Int32Array;
  /** Inner product (cosine for unit vectors), best first. */
  scores: Float32Array;
}

/**
 * k-NN over L2-normalised vectors by inner product. Ids are row numbers of the reference set in
 * insertion order, so per-model outcome matrices can be indexed by them directly.
 */
export interface AnnIndex {
  readonly kind: IndexKind;
  readonly dim: number;
  readonly size: number;
  /** Appends rows (row-major, a multiple of dim); ids run on from `size`; returns the first id. */
  add(vectors: Float32Array): number;
  search(query: Float32Array, k: number): SearchResult;
  searchBatch(queries: Float32Array, k: number): SearchResult;
  save(path: string): Promise<void>;
}

export interface IndexOptions {
  dim: number;
  /** Rows to reserve up front; the index grows past it. */
  capacity?: number;
  /** Graph degree (HNSW M, usearch connectivity). */
  m?: number;
  efConstruction?: number;
  efSearch?: number;
  seed?: number;
  /**
   * Storage precision of the usearch index ('i8' default, DEFAULT_USEARCH_OPTIONS). 'f16' halves and 'i8' quarters the
   * memory read per distance; ignored by the other kinds.
   */
  quantization?: 'f32' | 'f16' | 'i8';
  /**
   * usearch only: fetch k * rescore candidates from the (quantised) graph and re-rank them by
   * their exact f32 inner product, kept in a copy of the rows (dim * 4 bytes per row more). 0 or
   * 1 turns it off. Recovers the ranking precision i8 loses at a few microseconds per query.
   */
  rescore?: number;
  /**
   * Native threads used by `add` (usearch only; default 1). Searches always use one thread: the
   * router scales with one worker per core, and a native pool per worker would oversubscribe.
   */
  addThreads?: number;
}
