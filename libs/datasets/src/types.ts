/**
 * One routing query with its observed outcome per model. Every array has one entry per model,
 * in `Dataset.models` order; NaN marks a missing value (model not evaluated on this query).
 */
export interface DatasetQuery {
  id: string;
  task: string;
  prompt: string;
  /** Quality in [0, 1] (RouterBench: 0/1 correctness). */
  quality: Float64Array;
  /** Cost of the call in USD. */
  cost: Float64Array;
  /** Tokens of the call (prompt + response); see `loadDataset` for how they are obtained. */
  tokens: Float64Array;
  /** Tokens of the prompt alone (cl100k_base), the part known before routing. */
  promptTokens: number;
  /**
   * Each model's recorded response text (undefined where the source has none); only with
   * `LoadOptions.keepResponses` (RouterBench CSV), since most callers need numbers only.
   */
  responses?: ReadonlyArray<string | undefined>;
}

export interface Dataset {
  name: string;
  format: 'routerbench-csv' | 'jsonl';
  models: string[];
  /** Reference set with known outcomes (RouterBench `*_train.csv`, JSONL `split: "history"`). */
  history: DatasetQuery[];
  /** Stream to route (RouterBench `*_test.csv`, JSONL `split: "test"`). */
  test: DatasetQuery[];
}

export interface LoadOptions {
  /** Seed of the random history/test split used when the source does not say. Default 1. */
  seed?: number;
  /** Test share of that random split, in (0, 1). Default 0.3. */
  testFraction?: number;
  /**
   * Count tokens with the cl100k_base tokenizer (default true). When false, tokens are
   * estimated as ceil(chars / 4), which is much faster but coarser.
   */
  countTokens?: boolean;
  /** Keep each model's response text in `DatasetQuery.responses` (RouterBench CSV). Default false. */
  keepResponses?: boolean;
}
