export type { AnnIndex, IndexKind, IndexOptions, SearchResult } from './types.ts';
export { createIndex, loadIndex, DEFAULT_GRAPH_OPTIONS, DEFAULT_USEARCH_OPTIONS, defaultIndexOptions } from './factory.ts';
export { ExactIndex } from './exact.ts';
export { AnnError, type AnnErrorCode } from './errors.ts';
export { recallAtK } from './recall.ts';
