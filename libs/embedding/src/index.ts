export type { Embedder } from './types.ts';
export {
  createHashingEmbedder,
  hashingEmbedderFromJSON,
  DEFAULT_HASHING_OPTIONS,
  type HashingEmbedder,
  type HashingEmbedderOptions,
  type HashingEmbedderState,
} from './hashing-embedder.ts';
export { l2normalize, validateVector, dot, type VectorValidation } from './vector.ts';
export { EmbeddingError, type EmbeddingErrorCode } from './errors.ts';
export { encodeEmbeddingInt8, decodeEmbeddingInt8, encodedEmbeddingBytes } from './int8.ts';
export { cl100kTokenCounter, charEstimateTokenCounter, tokenCounterFor, cl100kEstimate, tokenPieces, tokensMayExceed, CL100K_TOKENS_PER_PIECE, type TokenCounter } from './tokens.ts';
export { createLsaEmbedder, lsaEmbedderFromJSON, DEFAULT_LSA_OPTIONS, type LsaEmbedder, type LsaEmbedderOptions, type LsaEmbedderState } from './lsa-embedder.ts';
export { truncatedSvd, type TruncatedSvd, type TruncatedSvdOptions } from './truncated-svd.ts';
