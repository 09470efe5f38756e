/** Text to a unit-length vector, so cosine similarity is a dot product. */
export interface Embedder {
  readonly name: string;
  readonly dim: number;
  embed(text: string, out?: Float32Array): Float32Array;
  /** Row-major n x dim. */
  embedBatch(texts: readonly string[]): Float32Array;
}
