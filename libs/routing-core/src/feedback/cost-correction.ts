import { RoutingError } from '../errors.ts';

export type CorrectedMetric = 'cost' | 'tokens';

export interface CostCorrectionOptions {
  /**
   * Pseudo-observations at ratio 1: the ratio after n outcomes is (n * r^ + priorCount) /
   * (n + priorCount), so a model with few outcomes keeps its k-NN estimate nearly as is.
   */
  readonly priorCount: number;
  /**
   * Weight kept by the sums at each new outcome of the same model (1: every outcome counts
   * forever). Below 1 the ratio is a discounted ratio of sums (Garivier & Moulines, ALT 2011) and
   * follows a price change within ~1 / (1 - discount) outcomes of that model.
   */
  readonly discount?: number;
  /**
   * Divide each model's ratio by the median ratio of the models with outcomes, so only how a
   * model's costs move against the others' is corrected. Every served query costs more than its
   * estimate by a common factor (it was chosen partly for looking cheap); the dual-price policy
   * already sees that factor in observed spend, and correcting it twice slows early spending.
   */
  readonly relative?: boolean;
}

/**
 * Per-model multiplicative correction of cost and token estimates.
 *
 * k-NN estimates of cost are biased wherever the knowledge base is thin or stale (a provider
 * changed its price, the served prompts are longer than the history's). For every served query
 * the raw estimate (before correction) and the observed value are summed per model; the
 * ratio-of-sums r^ = sum observed / sum predicted is the least-squares scale of a model
 * observed = r * predicted weighted by the prediction (the classic ratio estimator, Cochran,
 * "Sampling Techniques", ch. 6), shrunk toward 1 with `priorCount` pseudo-observations.
 */
export class CostCorrection {
  readonly nModels: number;
  readonly #priorCount: number;
  readonly #discount: number;
  readonly #relative: boolean;
  readonly #n: Record<CorrectedMetric, Float64Array>;
  readonly #observed: Record<CorrectedMetric, Float64Array>;
  readonly #predicted: Record<CorrectedMetric, Float64Array>;

  constructor(nModels: number, options: CostCorrectionOptions) {
    if (!Number.isInteger(nModels) || nModels <= 0) throw new RoutingError('invalid_input', 'cost correction needs at least one model');
    if (!(options.priorCount >= 0)) throw new RoutingError('invalid_config', 'priorCount must be >= 0');
    this.nModels = nModels;
    this.#priorCount = options.priorCount;
    this.#discount = options.discount ?? 1;
    this.#relative = options.relative ?? false;
    if (!(this.#discount > 0 && this.#discount <= 1)) throw new RoutingError('invalid_config', 'discount must be in (0, 1]');
    const zeros = (): Record<CorrectedMetric, Float64Array> => ({ cost: new Float64Array(nModels), tokens: new Float64Array(nModels) });
    this.#n = zeros();
    this.#observed = zeros();
    this.#predicted = zeros();
  }

  /** Records one served outcome against the raw (uncorrected) estimate; non-finite or non-positive predictions are skipped. */
  observe(metric: CorrectedMetric, model: number, predicted: number, observed: number): void {
    if (model < 0 || model >= this.nModels) throw new RoutingError('invalid_input', `model ${model} out of range`);
    if (!(predicted > 0) || !Number.isFinite(predicted) || !Number.isFinite(observed) || observed < 0) return;
    const d = this.#discount;
    this.#n[metric][model] = d * this.#n[metric][model]! + 1;
    this.#observed[metric][model] = d * this.#observed[metric][model]! + observed;
    this.#predicted[metric][model] = d * this.#predicted[metric][model]! + predicted;
  }

  /** Outcomes recorded for a model (their discounted weight when discount < 1). */
  count(metric: CorrectedMetric, model: number): number {
    return this.#n[metric][model] ?? 0;
  }

  /** The shrunk ratio observed/predicted (1 with no outcomes). */
  ratio(metric: CorrectedMetric, model: number): number {
    const n = this.#n[metric][model] ?? 0;
    if (n === 0) return 1;
    const raw = this.#observed[metric][model]! / this.#predicted[metric][model]!;
    return (n * raw + this.#priorCount) / (n + this.#priorCount);
  }

  /** The ratio applied to a model's estimates: `ratio`, over the common level when `relative`. */
  factor(metric: CorrectedMetric, model: number): number {
    return this.ratio(metric, model) / (this.#relative ? this.#commonLevel(metric) : 1);
  }

  #commonLevel(metric: CorrectedMetric): number {
    const rs: number[] = [];
    for (let m = 0; m < this.nModels; m++) if (this.#n[metric][m]! > 0) rs.push(this.ratio(metric, m));
    if (rs.length === 0) return 1;
    rs.sort((a, b) => a - b);
    const mid = rs.length >> 1;
    return rs.length % 2 === 1 ? rs[mid]! : (rs[mid - 1]! + rs[mid]!) / 2;
  }

  /** Multiplies row-major (query x model) estimates in place by each model's factor. */
  applyInPlace(metric: CorrectedMetric, cells: Float64Array): void {
    const M = this.nModels;
    if (cells.length % M !== 0) throw new RoutingError('dimension_mismatch', `estimates (${cells.length}) are not a multiple of ${M} models`);
    for (let m = 0; m < M; m++) {
      const r = this.factor(metric, m);
      if (r === 1) continue;
      for (let i = m; i < cells.length; i += M) cells[i]! *= r;
    }
  }
}
