/**
 * One batch of queries x models, row-major: entry (q, m) lives at index q * nModels + m.
 * score_qm = alpha * quality_qm - prices_m * cost_qm + bonus_qm, computed in float32.
 * mask_qm = 0 excludes model m for query q (not allowed, or no budget left); any other value allows it.
 */
export interface ScoreInput {
  nQueries: number;
  nModels: number;
  quality: Float32Array;
  cost: Float32Array;
  prices: Float32Array;
  alpha: number;
  bonus?: Float32Array;
  mask?: Uint8Array;
}

/**
 * scores: Q*M row-major, -Infinity where masked.
 * best: per query, the index of the highest score among allowed models (lowest index on ties),
 * or -1 when no model is allowed.
 */
export interface ScoreOutput {
  scores: Float32Array;
  best: Int32Array;
}

export type ScoringBackendKind = 'ts' | 'gpujs';

export interface ScoringBackend {
  readonly name: ScoringBackendKind;
  /** 'ts' for the TypeScript backend; for gpu.js the mode its kernels actually run in (webasm, cpu, headlessgl, ...). */
  readonly mode: string;
  scoreBatch(input: ScoreInput): ScoreOutput;
  /**
   * Q*M row-major: row q lists the allowed models of query q by descending score (lowest index
   * first on ties), then -1 for every masked model.
   */
  rankBatch(input: ScoreInput): Int32Array;
  dispose(): void;
}
