import { RoutingError } from '../errors.ts';
import type { EstimateBatch } from '../estimates.ts';
import type { ReferenceSet } from '../reference-set.ts';
import { CostCorrection } from './cost-correction.ts';
import { QualityDrift, type QualityDriftOptions } from './drift.ts';
import { OutcomeImputation } from './imputation.ts';
import { LinUcb } from './linucb.ts';
import { QualityCalibration, type QualityCalibrationOptions } from './quality-calibration.ts';

export interface FeedbackOptions {
  /** Append each observed outcome as a reference row (the k-NN knowledge base grows). */
  readonly appendRows: boolean;
  /** Scale cost and token estimates by each model's shrunk observed/predicted ratio. */
  readonly correctCost: boolean;
  /** Pseudo-observations at ratio 1 for the cost correction. */
  readonly costPriorCount: number;
  /** LinUCB over `dim`-coordinate features; beta = 0 disables the bonus. */
  readonly ucb: { readonly dim: number; readonly lambda: number; readonly beta: number; readonly sigma0: number; readonly sigmaPriorCount: number };
  /**
   * Where the bonus goes. 'score': the kernel's `bonus` input, after the prices are set.
   * 'quality': added to d^ itself (optimistic estimates), so a dual-price policy also re-solves
   * its prices on them and rations the budget against the optimism, as UCB-style bandits with
   * knapsacks do (Agrawal & Devanur, "Bandits with concave rewards and convex knapsacks", EC 2014).
   */
  readonly bonusTarget: 'score' | 'quality';
  /**
   * Calibrate d^ per model (and bin of d^) by the shrunk mean residual of served outcomes
   * (`QualityCalibration`); absent or null leaves d^ as the k-NN estimate.
   */
  readonly calibration?: QualityCalibrationOptions | null;
  /**
   * Complete appended rows: the unserved models' quality cells are imputed from the observed one
   * by the reference set's pairwise regression slopes (`OutcomeImputation`), shrunk by
   * `priorCount` pseudo-rows; needs `predicted.qualityAll` in observations. Absent or null: NaN.
   */
  readonly imputeRows?: { readonly priorCount: number } | null;
  /** false: appended rows carry only cost and tokens (quality NaN), so quality estimates stay the reference set's. Default true. */
  readonly appendQuality?: boolean;
  /** Forgetting of the cost correction (CostCorrectionOptions.discount); absent: 1, every outcome counts forever. */
  readonly costDiscount?: number;
  /** Correct each model's costs only relative to the others' (CostCorrectionOptions.relative); absent: false. */
  readonly costRelative?: boolean;
  /** Page-Hinkley-gated, discounted correction of d^ per model (`QualityDrift`); absent or null: off. */
  readonly drift?: QualityDriftOptions | null;
  /**
   * Optimism for models with little support: a model with n reference values for quality gets
   * beta * max(0, 1 - n / supportRows) added to d^ (in d^, so dual prices are re-solved on it and
   * the budget rations the optimism, as in UCB for bandits with knapsacks, Agrawal & Devanur, EC
   * 2014). A model with no value at all gets a prior first: d^ the mean of the other models'
   * estimates for the query, g^ (and tokens) the largest of theirs, so its first reservations
   * are pessimistic and budget-safe until its own outcomes are in. Absent or null: no prior, no bonus.
   */
  readonly explore?: { readonly beta: number; readonly supportRows: number } | null;
}

/**
 * Chosen on history-only holdouts (`npm run bench:feedback -- --scenario all --holdout 0.3`,
 * seeds 1000.., README "Feedback under change"), never on the test split:
 * - rows on: what lets a cold or incomplete knowledge base, and a model without history, learn;
 * - drift on (Page-Hinkley delta 0.1, threshold 8, discount 0.95): silent until a model's residual
 *   level moves, so a stationary stream routes as without it;
 * - exploration 0.3 for models with fewer than 50 reference values (and priors for models with none);
 * - cost correction off: on every holdout scenario, price changes included, it lost points or
 *   changed nothing (the oracle that knows the new prices gains nothing either, because budgets
 *   are per model and `resolving-dual` already re-solves on observed spend). When turned on it
 *   forgets (discount 0.97) and corrects relative to the other models.
 * LinUCB, calibration and imputation stay off (README, "Feedback (bandit updates)").
 */
export const DEFAULT_FEEDBACK_OPTIONS: FeedbackOptions = Object.freeze({
  appendRows: true,
  correctCost: false,
  costPriorCount: 20,
  costDiscount: 0.97,
  costRelative: true,
  ucb: Object.freeze({ dim: 16, lambda: 1, beta: 0, sigma0: 0.5, sigmaPriorCount: 5 }),
  // 'score' was measured first: a positive bonus after pricing turns drops into serves and
  // spends the budget early (README, "Feedback (bandit updates)").
  bonusTarget: 'quality',
  calibration: null,
  imputeRows: null,
  appendQuality: true,
  drift: Object.freeze({ discount: 0.95, priorCount: 5, delta: 0.1, threshold: 8, minSamples: 20 }),
  explore: Object.freeze({ beta: 0.3, supportRows: 50 }),
});

/** One served query's outcome, with what was predicted for it when it was routed. */
export interface FeedbackObservation {
  readonly model: number;
  /** Raw k-NN estimates of the served model (before correction and bonus). */
  readonly predicted: {
    readonly quality: number;
    readonly cost: number;
    readonly tokens?: number;
    /** Raw k-NN quality estimates of every model for the query (row imputation uses them). */
    readonly qualityAll?: ArrayLike<number>;
    /** Raw k-NN cost estimates of every model (a model without any reference value gets a prior from them). */
    readonly costAll?: ArrayLike<number>;
  };
  readonly observed: { readonly quality: number; readonly cost: number; readonly tokens?: number };
  /** The query's features (length ucb.dim, e.g. a RandomProjection of its embedding). */
  readonly features: ArrayLike<number>;
}

/**
 * Training-free feedback into the router: outcomes of served queries (a) grow the reference
 * set, (b) correct cost and token estimates per model, (c) drive an exploration bonus (LinUCB
 * on the quality residual). `adjust` turns a raw k-NN estimate batch into the one a policy
 * scores: corrected costs and a `bonus` in score units, which the scoring kernel adds to
 * alpha d^ - gamma g^. The bonus never enters budget checks, which read only the (corrected)
 * cost estimate, so exploration can change which affordable model is chosen but never make an
 * unaffordable one eligible.
 */
export class FeedbackModel {
  readonly options: FeedbackOptions;
  readonly ref: ReferenceSet;
  readonly costs: CostCorrection;
  readonly ucb: LinUcb;
  /** Null when `options.calibration` is off. */
  readonly calibration: QualityCalibration | null;
  /** Null when `options.imputeRows` is off; slopes come from the reference set as it was at construction. */
  readonly imputation: OutcomeImputation | null;
  /** Null when `options.drift` is off. */
  readonly drift: QualityDrift | null;
  #appended = 0;

  constructor(ref: ReferenceSet, options: FeedbackOptions = DEFAULT_FEEDBACK_OPTIONS) {
    this.ref = ref;
    this.options = options;
    this.costs = new CostCorrection(ref.nModels, { priorCount: options.costPriorCount, discount: options.costDiscount ?? 1, relative: options.costRelative ?? false });
    this.drift = options.drift ? new QualityDrift(ref.nModels, options.drift) : null;
    this.ucb = new LinUcb(ref.nModels, options.ucb);
    this.calibration = options.calibration ? new QualityCalibration(ref.nModels, options.calibration) : null;
    this.imputation = options.imputeRows ? new OutcomeImputation(ref, options.imputeRows) : null;
  }

  /**
   * Per-model additive change of d^: the drift correction plus the exploration bonus of models
   * with little support; null when both are off or zero. The bonus may lift d^ above 1 (it is
   * optimism, not an estimate); the drift-corrected estimate itself stays in [0, 1].
   */
  #qualityShift(): { drift: Float64Array; bonus: Float64Array } | null {
    const M = this.ref.nModels;
    const explore = this.options.explore;
    if (!this.drift && !(explore && explore.beta > 0)) return null;
    const drift = new Float64Array(M);
    const bonus = new Float64Array(M);
    let any = false;
    for (let m = 0; m < M; m++) {
      drift[m] = this.drift ? this.drift.correction(m) : 0;
      bonus[m] = explore && explore.beta > 0 ? explore.beta * Math.max(0, 1 - this.ref.count('quality', m) / explore.supportRows) : 0;
      any ||= drift[m] !== 0 || bonus[m] !== 0;
    }
    return any ? { drift, bonus } : null;
  }

  get appended(): number {
    return this.#appended;
  }

  /**
   * Corrected copy of a raw estimate batch with the bonus attached. `features` holds
   * nQueries x ucb.dim values; `scoreScale` is the policy's alpha (the bonus is in quality
   * units times alpha, i.e. score units).
   */
  adjust(raw: EstimateBatch, features: ArrayLike<number>, scoreScale: number): EstimateBatch {
    if (raw.nModels !== this.ref.nModels) throw new RoutingError('dimension_mismatch', `estimates have ${raw.nModels} models, feedback ${this.ref.nModels}`);
    const cost = Float64Array.from(raw.cost);
    const tokens = Float64Array.from(raw.tokens);
    let quality = raw.quality;
    if (this.options.explore) {
      quality = Float64Array.from(raw.quality);
      fillPriors(quality, cost, tokens, raw.nModels);
    }
    if (this.options.correctCost) {
      this.costs.applyInPlace('cost', cost);
      this.costs.applyInPlace('tokens', tokens);
    }
    const base = { nQueries: raw.nQueries, nModels: raw.nModels, cost, tokens, support: raw.support };
    if (this.calibration) {
      if (quality === raw.quality) quality = Float64Array.from(raw.quality);
      this.calibration.applyInPlace(quality);
    }
    const shift = this.#qualityShift();
    if (shift) {
      if (quality === raw.quality) quality = Float64Array.from(raw.quality);
      const M = raw.nModels;
      for (let i = 0; i < quality.length; i++) {
        const v = quality[i]!;
        if (Number.isFinite(v)) quality[i] = Math.min(1, Math.max(0, v + shift.drift[i % M]!)) + shift.bonus[i % M]!;
      }
    }
    if (!(this.options.ucb.beta > 0)) return { ...base, quality };
    if (this.options.bonusTarget === 'quality') {
      const optimistic = this.ucb.bonusBatch(features, raw.nQueries, 1);
      for (let i = 0; i < optimistic.length; i++) optimistic[i]! += quality[i]!;
      return { ...base, quality: optimistic };
    }
    return { ...base, quality, bonus: this.ucb.bonusBatch(features, raw.nQueries, scoreScale) };
  }

  /**
   * Applies one served outcome. Returns the id of the appended reference row (the caller adds
   * the query's embedding to its k-NN index under the same id), or null when rows are not appended.
   */
  observe(o: FeedbackObservation): number | null {
    const M = this.ref.nModels;
    if (o.model < 0 || o.model >= M) throw new RoutingError('invalid_input', `model ${o.model} out of range`);
    // A prediction that was a prior (the model had no reference value: NaN raw) teaches nothing
    // about how the k-NN estimates miss; the outcome still becomes a reference row below.
    this.costs.observe('cost', o.model, o.predicted.cost, o.observed.cost);
    if (o.predicted.tokens !== undefined && o.observed.tokens !== undefined) this.costs.observe('tokens', o.model, o.predicted.tokens, o.observed.tokens);
    if (Number.isFinite(o.predicted.quality) && Number.isFinite(o.observed.quality)) {
      this.ucb.observe(o.model, o.features, o.observed.quality - o.predicted.quality);
      this.calibration?.observe(o.model, o.predicted.quality, o.observed.quality);
      this.drift?.observe(o.model, o.observed.quality - o.predicted.quality);
    }
    if (!this.options.appendRows) return null;
    const all = o.predicted.qualityAll;
    const quality = this.imputation && all ? this.imputation.row(o.model, o.observed.quality, all) : new Float64Array(M).fill(Number.NaN);
    if (this.options.appendQuality === false) quality.fill(Number.NaN);
    const cost = new Float64Array(M).fill(Number.NaN);
    const tokens = new Float64Array(M).fill(Number.NaN);
    if (this.options.appendQuality !== false) quality[o.model] = o.observed.quality;
    cost[o.model] = o.observed.cost;
    tokens[o.model] = o.observed.tokens ?? Number.NaN;
    this.#appended++;
    return this.ref.append({ quality, cost, tokens });
  }
}

/**
 * Priors for the cells of models without any reference value (NaN): d^ the mean of the query's
 * finite estimates, g^ and tokens the largest of them (pessimistic, so reservations stay safe).
 */
function fillPriors(quality: Float64Array, cost: Float64Array, tokens: Float64Array, M: number): void {
  for (let at = 0; at < quality.length; at += M) {
    let missing = false;
    let qs = 0;
    let qn = 0;
    let cMax = Number.NaN;
    let tMax = Number.NaN;
    for (let m = 0; m < M; m++) {
      const q = quality[at + m]!;
      const c = cost[at + m]!;
      if (!Number.isFinite(q) || !Number.isFinite(c)) {
        missing = true;
        continue;
      }
      qs += q;
      qn++;
      if (!(c <= cMax)) cMax = c;
      const t = tokens[at + m]!;
      if (Number.isFinite(t) && !(t <= tMax)) tMax = t;
    }
    if (!missing || qn === 0) continue;
    for (let m = 0; m < M; m++) {
      if (Number.isFinite(quality[at + m]!) && Number.isFinite(cost[at + m]!)) continue;
      quality[at + m] = qs / qn;
      cost[at + m] = cMax;
      tokens[at + m] = tMax;
    }
  }
}
