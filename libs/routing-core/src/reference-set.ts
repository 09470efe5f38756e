import { RoutingError } from './errors.ts';

/** One past query's outcomes, one cell per model; NaN marks a model never run on it. */
export interface ReferenceRow {
  readonly quality: ArrayLike<number>;
  readonly cost: ArrayLike<number>;
  readonly tokens?: ArrayLike<number>;
}

export type Metric = 'quality' | 'cost' | 'tokens';

/**
 * The knowledge base of past outcomes that k-NN estimates are read from. Row-major
 * Float64Arrays (row = reference query, column = model), NaN = missing. It grows as outcomes
 * keep arriving; row ids are stable, so an ANN index built over the same rows stays valid.
 * Per-model sums and counts over non-missing cells are kept so global means (the estimate
 * fallback) cost O(1).
 */
export class ReferenceSet {
  readonly modelIds: readonly string[];
  readonly nModels: number;
  #size = 0;
  #capacity: number;
  #quality: Float64Array;
  #cost: Float64Array;
  #tokens: Float64Array;
  readonly #sum: Record<Metric, Float64Array>;
  readonly #count: Record<Metric, Float64Array>;

  constructor(modelIds: readonly string[], initialCapacity = 1024) {
    if (modelIds.length === 0) throw new RoutingError('invalid_input', 'a reference set needs at least one model');
    this.modelIds = Object.freeze([...modelIds]);
    this.nModels = modelIds.length;
    this.#capacity = Math.max(1, initialCapacity);
    this.#quality = new Float64Array(this.#capacity * this.nModels);
    this.#cost = new Float64Array(this.#capacity * this.nModels);
    this.#tokens = new Float64Array(this.#capacity * this.nModels);
    const m = this.nModels;
    this.#sum = { quality: new Float64Array(m), cost: new Float64Array(m), tokens: new Float64Array(m) };
    this.#count = { quality: new Float64Array(m), cost: new Float64Array(m), tokens: new Float64Array(m) };
  }

  /** Builds a set from row-major arrays of `n * modelIds.length` cells (tokens optional: all NaN). */
  static fromArrays(
    modelIds: readonly string[],
    data: { quality: Float64Array; cost: Float64Array; tokens?: Float64Array },
  ): ReferenceSet {
    const m = modelIds.length;
    const n = data.quality.length / m;
    if (!Number.isInteger(n) || data.cost.length !== data.quality.length || (data.tokens && data.tokens.length !== data.quality.length)) {
      throw new RoutingError('dimension_mismatch', `reference arrays must all hold n * ${m} cells`);
    }
    const set = new ReferenceSet(modelIds, n);
    set.appendRows(n, data.quality, data.cost, data.tokens);
    return set;
  }

  get size(): number {
    return this.#size;
  }

  /** Appends one row and returns its id. */
  append(row: ReferenceRow): number {
    this.#checkWidth(row.quality.length, row.cost.length, row.tokens?.length);
    this.#reserve(this.#size + 1);
    const base = this.#size * this.nModels;
    for (let m = 0; m < this.nModels; m++) {
      this.#put('quality', this.#quality, base + m, m, row.quality[m]!);
      this.#put('cost', this.#cost, base + m, m, row.cost[m]!);
      this.#put('tokens', this.#tokens, base + m, m, row.tokens ? row.tokens[m]! : Number.NaN);
    }
    return this.#size++;
  }

  /** Appends `n` rows from row-major arrays; returns the id of the first. */
  appendRows(n: number, quality: ArrayLike<number>, cost: ArrayLike<number>, tokens?: ArrayLike<number>): number {
    const cells = n * this.nModels;
    if (quality.length !== cells || cost.length !== cells || (tokens && tokens.length !== cells)) {
      throw new RoutingError('dimension_mismatch', `expected ${cells} cells per metric for ${n} rows`);
    }
    this.#reserve(this.#size + n);
    const first = this.#size;
    const base = first * this.nModels;
    for (let i = 0; i < cells; i++) {
      const m = i % this.nModels;
      this.#put('quality', this.#quality, base + i, m, quality[i]!);
      this.#put('cost', this.#cost, base + i, m, cost[i]!);
      this.#put('tokens', this.#tokens, base + i, m, tokens ? tokens[i]! : Number.NaN);
    }
    this.#size += n;
    return first;
  }

  /** The value of one cell (NaN = missing). */
  value(metric: Metric, row: number, model: number): number {
    if (row < 0 || row >= this.#size || model < 0 || model >= this.nModels) return Number.NaN;
    return this.#array(metric)[row * this.nModels + model]!;
  }

  /** Row-major view of the stored cells of one metric (length size * nModels); do not mutate. */
  view(metric: Metric): Float64Array {
    return this.#array(metric).subarray(0, this.#size * this.nModels);
  }

  /** Non-missing cells of one model. */
  count(metric: Metric, model: number): number {
    return this.#count[metric][model] ?? 0;
  }

  /** Mean of the non-missing cells of one model; NaN when the model has none. */
  globalMean(metric: Metric, model: number): number {
    const c = this.#count[metric][model] ?? 0;
    return c > 0 ? this.#sum[metric][model]! / c : Number.NaN;
  }

  /** Per-model means over non-missing cells (NaN where a model has none). */
  globalMeans(metric: Metric): Float64Array {
    const out = new Float64Array(this.nModels);
    for (let m = 0; m < this.nModels; m++) out[m] = this.globalMean(metric, m);
    return out;
  }

  #array(metric: Metric): Float64Array {
    return metric === 'quality' ? this.#quality : metric === 'cost' ? this.#cost : this.#tokens;
  }

  #put(metric: Metric, arr: Float64Array, at: number, model: number, v: number): void {
    arr[at] = v;
    if (!Number.isNaN(v)) {
      this.#sum[metric][model]! += v;
      this.#count[metric][model]! += 1;
    }
  }

  #checkWidth(...widths: (number | undefined)[]): void {
    for (const w of widths) {
      if (w !== undefined && w !== this.nModels) {
        throw new RoutingError('dimension_mismatch', `a reference row needs ${this.nModels} cells, got ${w}`);
      }
    }
  }

  #reserve(rows: number): void {
    if (rows <= this.#capacity) return;
    let cap = this.#capacity;
    while (cap < rows) cap *= 2;
    const grow = (a: Float64Array): Float64Array => {
      const b = new Float64Array(cap * this.nModels);
      b.set(a.subarray(0, this.#size * this.nModels));
      return b;
    };
    this.#quality = grow(this.#quality);
    this.#cost = grow(this.#cost);
    this.#tokens = grow(this.#tokens);
    this.#capacity = cap;
  }
}
