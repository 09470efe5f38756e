// The message shapes between the router's main thread and its scoring workers. Inputs travel
// as typed arrays in the transfer list; the result is ONE Float64Array whose buffer is moved
// back, so neither direction copies the per-request matrices.
import type { ScoringBackendKind } from '@switchyard/scoring';
import type { FeedbackLogShared } from './feedback-log.ts';
import type { SharedReference } from './reference.ts';

export interface ScoringWorkerData {
  readonly reference: SharedReference;
  readonly ann: { readonly kind: 'exact' | 'hnsw' | 'usearch'; readonly k: number; readonly weighting: 'uniform' | 'similarity' };
  readonly backend: ScoringBackendKind;
  /** Rows appended from outcomes (feedback on); null: the reference set stays as built. */
  readonly feedbackLog: FeedbackLogShared | null;
  /** With appended (partial) rows, search k x widen neighbours and let each model average its first k (estimatePerModel). */
  readonly widen: number;
}

export interface ScoreTask {
  readonly n: number;
  /** Prompt per request; null when the request carries an embedding only. */
  readonly prompts: readonly (string | null)[];
  /** n x dim; rows where `hasEmbedding` is 0 are ignored (the worker embeds the prompt). */
  readonly embeddings: Float32Array;
  readonly hasEmbedding: Uint8Array;
  /** -1 = count in the worker (see `exactTokensAbove`). */
  readonly promptTokens: Int32Array;
  /**
   * A prompt the worker counts is counted exactly (cl100k) when its tokens may exceed this
   * (its UTF-8 length bounds them), else estimated; -1: always exactly.
   */
  readonly exactTokensAbove: number;
  /** The smallest maxBatchTokens of the models: prompt bound + output cap above it counts exactly too. */
  readonly exactRequestAbove: number;
  readonly maxOutputTokens: Int32Array;
  readonly alpha: number;
  readonly prices: Float32Array;
}

/** Views over the moved result buffer; see `resultLayout`. */
export interface ScoreResult {
  readonly n: number;
  readonly nModels: number;
  readonly promptTokens: Float64Array;
  readonly quality: Float64Array;
  readonly costUsd: Float64Array;
  /** prompt tokens + min(maxOutputTokens, expected output tokens of that model). */
  readonly estimatedTokens: Float64Array;
  readonly scores: Float64Array;
  /** Expected response tokens per model from the k-NN (before the output cap); NaN: unknown. */
  readonly expectedOutputTokens: Float64Array;
  /** n x dim: the unit embedding each request was searched with. */
  readonly embeddings: Float32Array;
}

/** Float64 cells of a result: n + 5 n M numbers, then n x dim float32 packed two per cell. */
export function resultLength(n: number, nModels: number, dim: number): number {
  return n + 5 * n * nModels + Math.ceil((n * dim) / 2);
}

export function viewResult(buffer: Float64Array, n: number, nModels: number, dim: number): ScoreResult {
  const nm = n * nModels;
  if (buffer.length !== resultLength(n, nModels, dim)) {
    throw new RangeError(`score result has ${buffer.length} cells, expected ${resultLength(n, nModels, dim)}`);
  }
  return {
    n,
    nModels,
    promptTokens: buffer.subarray(0, n),
    quality: buffer.subarray(n, n + nm),
    costUsd: buffer.subarray(n + nm, n + 2 * nm),
    estimatedTokens: buffer.subarray(n + 2 * nm, n + 3 * nm),
    scores: buffer.subarray(n + 3 * nm, n + 4 * nm),
    expectedOutputTokens: buffer.subarray(n + 4 * nm, n + 5 * nm),
    embeddings: new Float32Array(buffer.buffer, buffer.byteOffset + (n + 5 * nm) * 8, n * dim),
  };
}
