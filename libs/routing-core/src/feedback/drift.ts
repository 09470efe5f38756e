import { RoutingError } from '../errors.ts';

export interface QualityDriftOptions {
  /**
   * Discount per outcome of the same model of the post-change residual mean (Garivier & Moulines,
   * "On upper-confidence bound policies for switching bandit problems", ALT 2011): an outcome n
   * outcomes old weighs discount^n, so the mean follows a new level within ~1 / (1 - discount) outcomes.
   */
  readonly discount: number;
  /** Pseudo-outcomes at "no change" that shrink the correction while few post-change outcomes are in. */
  readonly priorCount: number;
  /** Page-Hinkley tolerance: residual shifts smaller than this never accumulate. */
  readonly delta: number;
  /** Page-Hinkley alarm threshold on the cumulative deviation (residual units). */
  readonly threshold: number;
  /** Outcomes of a regime before its detector may raise an alarm. */
  readonly minSamples: number;
}

interface ModelState {
  /** Residual sum and count of the first regime: the level the k-NN estimates normally miss by (winner's curse). */
  baseSum: number;
  baseN: number;
  /** Running mean of the current regime (the detector's reference). */
  regimeSum: number;
  regimeN: number;
  /** Page-Hinkley sums for a rise and a fall, with their extremes. */
  up: number;
  upMin: number;
  down: number;
  downMax: number;
  alarms: number;
  /** Discounted residual sum and weight since the last alarm. */
  postSum: number;
  postWeight: number;
}

function fresh(): ModelState {
  return { baseSum: 0, baseN: 0, regimeSum: 0, regimeN: 0, up: 0, upMin: 0, down: 0, downMax: 0, alarms: 0, postSum: 0, postWeight: 0 };
}

/**
 * Per-model drift of the quality residual (observed minus the raw k-NN estimate).
 *
 * Served outcomes always fall short of the estimate that won their comparison (the winner's
 * curse, Smith & Winkler 2006), so the residual's level itself says nothing; only its change
 * does. A two-sided Page-Hinkley test (Page, "Continuous inspection schemes", Biometrika 1954;
 * Hinkley 1971) watches each model's residual for a shift of its mean. Until the first alarm
 * the correction is 0, so a stationary world routes exactly as without it. After an alarm the
 * model's detector restarts, and its estimates are shifted by the discounted mean of the
 * residuals since the alarm minus the first regime's level, shrunk by `priorCount`.
 */
export class QualityDrift {
  readonly options: QualityDriftOptions;
  readonly #models: ModelState[];

  constructor(nModels: number, options: QualityDriftOptions) {
    if (!(options.discount > 0 && options.discount <= 1)) throw new RoutingError('invalid_config', 'drift discount must be in (0, 1]');
    if (!(options.priorCount >= 0) || !(options.threshold > 0) || !(options.delta >= 0)) throw new RoutingError('invalid_config', 'drift priorCount and delta must be >= 0, threshold > 0');
    this.options = options;
    this.#models = Array.from({ length: nModels }, fresh);
  }

  observe(model: number, residual: number): void {
    const s = this.#models[model];
    if (!s) throw new RoutingError('invalid_input', `model ${model} out of range`);
    if (!Number.isFinite(residual)) return;
    if (s.alarms === 0) {
      s.baseSum += residual;
      s.baseN++;
    } else {
      s.postSum = this.options.discount * s.postSum + residual;
      s.postWeight = this.options.discount * s.postWeight + 1;
    }
    s.regimeSum += residual;
    s.regimeN++;
    const mean = s.regimeSum / s.regimeN;
    const { delta, threshold, minSamples } = this.options;
    s.up += residual - mean - delta;
    s.upMin = Math.min(s.upMin, s.up);
    s.down += residual - mean + delta;
    s.downMax = Math.max(s.downMax, s.down);
    if (s.regimeN >= minSamples && (s.up - s.upMin > threshold || s.downMax - s.down > threshold)) this.#alarm(s);
  }

  #alarm(s: ModelState): void {
    s.alarms++;
    s.regimeSum = 0;
    s.regimeN = 0;
    s.up = s.upMin = s.down = s.downMax = 0;
    s.postSum = 0;
    s.postWeight = 0;
  }

  /** Additive correction of the model's quality estimates (0 until its first alarm). */
  correction(model: number): number {
    const s = this.#models[model]!;
    if (s.alarms === 0 || s.baseN === 0) return 0;
    const base = s.baseSum / s.baseN;
    return (s.postSum - base * s.postWeight) / (s.postWeight + this.options.priorCount);
  }

  /** Changes detected for a model so far. */
  alarms(model: number): number {
    return this.#models[model]?.alarms ?? 0;
  }
}
