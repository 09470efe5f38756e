import { RoutingError } from '../errors.ts';

export interface QualityCalibrationOptions {
  /**
   * Bins over the raw estimate d^ in [lo, hi]: 1 learns one shift per model; k + 1 (k the
   * neighbour count) gives one bin per value a uniform k-NN mean of 0/1 outcomes can take.
   */
  readonly bins: number;
  /** Pseudo-outcomes at residual 0 per (model, bin): the shift after n outcomes is sum r / (n + priorCount). */
  readonly priorCount: number;
  /** Range of the quality scale, for binning and for clamping the calibrated estimate. */
  readonly range?: readonly [number, number];
}

/**
 * Per-model (and per-bin of d^) calibration of k-NN quality estimates from observed residuals.
 *
 * The router serves a model where its estimate d^ is high relative to the others, so the
 * estimates of the served model are optimistic: among many noisy k-NN means, the ones that win
 * are the ones whose noise happened to be positive (the winner's curse, or "optimizer's curse",
 * Smith & Winkler, Management Science 2006). The outcomes of served queries are exactly the data
 * that measure it: the residual r = observed - predicted of the served model. This is histogram
 * binning (Zadrozny & Elkan, KDD 2001): the calibrated estimate in bin b of model m is
 * d^ + mean residual there, with the mean shrunk toward 0 by `priorCount` pseudo-outcomes
 * (a normal-prior posterior mean, i.e. empirical-Bayes shrinkage), so a (model, bin) with few
 * outcomes keeps its k-NN estimate nearly as is. Since the residual is measured where the model
 * was chosen, the shift is the correction the decisions themselves need.
 */
export class QualityCalibration {
  readonly nModels: number;
  readonly bins: number;
  readonly #priorCount: number;
  readonly #lo: number;
  readonly #hi: number;
  readonly #n: Float64Array;
  readonly #sum: Float64Array;

  constructor(nModels: number, options: QualityCalibrationOptions) {
    if (!Number.isInteger(nModels) || nModels <= 0) throw new RoutingError('invalid_input', 'calibration needs at least one model');
    if (!Number.isInteger(options.bins) || options.bins < 1) throw new RoutingError('invalid_config', 'calibration bins must be a positive integer');
    if (!(options.priorCount >= 0)) throw new RoutingError('invalid_config', 'calibration priorCount must be >= 0');
    const [lo, hi] = options.range ?? [0, 1];
    if (!(hi > lo)) throw new RoutingError('invalid_config', 'calibration range must be increasing');
    this.nModels = nModels;
    this.bins = options.bins;
    this.#priorCount = options.priorCount;
    this.#lo = lo;
    this.#hi = hi;
    this.#n = new Float64Array(nModels * options.bins);
    this.#sum = new Float64Array(nModels * options.bins);
  }

  /** The bin of a raw estimate (bins evenly spaced over the range, ends included). */
  bin(predicted: number): number {
    if (this.bins === 1) return 0;
    const t = (predicted - this.#lo) / (this.#hi - this.#lo);
    return Math.max(0, Math.min(this.bins - 1, Math.round(t * (this.bins - 1))));
  }

  /** Records one served outcome; non-finite values are skipped. */
  observe(model: number, predicted: number, observed: number): void {
    if (model < 0 || model >= this.nModels) throw new RoutingError('invalid_input', `model ${model} out of range`);
    if (!Number.isFinite(predicted) || !Number.isFinite(observed)) return;
    const at = model * this.bins + this.bin(predicted);
    this.#n[at]! += 1;
    this.#sum[at]! += observed - predicted;
  }

  /** Outcomes recorded for a model in the bin of `predicted`. */
  count(model: number, predicted: number): number {
    return this.#n[model * this.bins + this.bin(predicted)] ?? 0;
  }

  /** The shrunk mean residual added to an estimate `predicted` of `model` (0 with no outcomes). */
  shift(model: number, predicted: number): number {
    const at = model * this.bins + this.bin(predicted);
    const n = this.#n[at]!;
    return n === 0 ? 0 : this.#sum[at]! / (n + this.#priorCount);
  }

  /** Calibrates row-major (query x model) quality estimates in place, clamped to the range. */
  applyInPlace(cells: Float64Array): void {
    const M = this.nModels;
    if (cells.length % M !== 0) throw new RoutingError('dimension_mismatch', `estimates (${cells.length}) are not a multiple of ${M} models`);
    for (let i = 0; i < cells.length; i++) {
      const d = cells[i]!;
      if (!Number.isFinite(d)) continue;
      cells[i] = Math.max(this.#lo, Math.min(this.#hi, d + this.shift(i % M, d)));
    }
  }
}
