// Outcome feedback inside the routing engine. Two parts:
//
// - adjust: the raw k-NN estimates a worker returns go through FeedbackModel.adjust (per-model
//   cost and token correction, LinUCB bonus) before the policy sees them; the kernel scores are
//   recomputed here under the same price snapshot, so the policy (and the dual-price policy's
//   prices, which re-solve on spend and on the estimates it scores) works on the adjusted values.
// - featuresOf: what a routed decision stores for feedback (int8 embedding, raw estimates of the
//   chosen model), written with the decision row.
// - apply: outcomes read back by the shell (any router instance's) go through
//   FeedbackModel.observe, and each appended reference row is published to every scoring worker
//   through the shared feedback log. Idempotent by request id.
//
// Reading outcomes from Postgres on a timer is the shell's part (services/router feedback-poller.ts).
import { decodeEmbeddingInt8, encodeEmbeddingInt8 } from '@switchyard/embedding';
import { FeedbackModel, RandomProjection, ReferenceSet } from '@switchyard/routing-core';
import type { FeedbackOptions, RoutingPolicy } from '@switchyard/routing-core';
import { TsScoringBackend } from '@switchyard/scoring';
import { appendFeedbackRow, createFeedbackLog, publishedRows } from './feedback-log.ts';
import type { FeedbackLogShared } from './feedback-log.ts';
import type { SharedReference } from './reference.ts';
import type { ScoreResult } from './scoring-task.ts';

/** What a routed decision stores for feedback (the store's decision features have this shape). */
export interface DecisionFeatures {
  /** The prompt's embedding as encodeEmbeddingInt8 writes it. */
  readonly embedding: Uint8Array;
  /** The chosen model's raw k-NN estimates (before cost correction and bonus). */
  readonly rawQuality: number;
  readonly rawCostUsd: number;
  readonly rawOutputTokens: number;
}

/** An outcome joined to its decision's features, as the shell reads it back. */
export interface FeedbackOutcome {
  readonly requestId: string;
  readonly model: string;
  readonly reward: number | null;
  readonly costUsd: number | null;
  readonly completionTokens: number;
  readonly embedding: Uint8Array | null;
  readonly rawQuality: number | null;
  readonly rawCostUsd: number | null;
  readonly rawOutputTokens: number | null;
}

export interface FeedbackLoopSettings {
  readonly model: FeedbackOptions;
  /** Most outcome rows appended to the reference set (the shared log is reserved for them). */
  readonly maxRows: number;
  /** Seed of the LinUCB feature projection (equal on every instance: same features). */
  readonly projectionSeed: number;
}

export type SkipReason = 'no_features' | 'no_reward' | 'unknown_model' | 'duplicate' | 'capacity';

export interface ApplyResult {
  readonly applied: number;
  readonly skipped: ReadonlyMap<SkipReason, number>;
}

/** A policy's reservation for a routed request, settled when its outcome is applied. */
export interface PolicyReservation {
  readonly policy: RoutingPolicy;
  readonly model: number;
  readonly reservedCost: number;
}

/** What the routing step calls; null in the step when feedback is off. */
export interface FeedbackHooks {
  adjust(r: ScoreResult, ctx: { readonly maxOutputTokens: Int32Array; readonly alpha: number; readonly prices: Float32Array }): void;
  featuresOf(embedding: Float32Array, raw: { readonly quality: number; readonly costUsd: number; readonly outputTokens: number }): DecisionFeatures;
  /** The policy's own choice was routed with this reservation (its spend until the outcome). */
  reserved?(requestId: string, reservation: PolicyReservation): void;
  /** The request will get no outcome from a model (every model failed it): give its reservation back. */
  released?(requestId: string): void;
}

/** Reservations remembered for settling; beyond this the oldest stay reserved (conservative). */
const MAX_RESERVATIONS = 1_000_000;

export class FeedbackLoop implements FeedbackHooks {
  readonly log: FeedbackLogShared;
  readonly model: FeedbackModel;
  readonly initialRows: number;
  readonly #projection: RandomProjection;
  readonly #modelIndex: ReadonlyMap<string, number>;
  readonly #applied = new Set<string>();
  readonly #kernel = new TsScoringBackend();
  readonly #nModels: number;
  readonly #reservations = new Map<string, PolicyReservation>();
  #settled = 0;

  constructor(reference: SharedReference, settings: FeedbackLoopSettings) {
    const M = reference.modelIds.length;
    this.#nModels = M;
    this.initialRows = reference.nRows;
    const ref = ReferenceSet.fromArrays(reference.modelIds, {
      quality: Float64Array.from(new Float64Array(reference.quality)),
      cost: Float64Array.from(new Float64Array(reference.costUsd)),
      tokens: Float64Array.from(new Float64Array(reference.outputTokens)),
    });
    this.model = new FeedbackModel(ref, settings.model);
    this.#projection = new RandomProjection(reference.dim, settings.model.ucb.dim, settings.projectionSeed);
    this.#modelIndex = new Map(reference.modelIds.map((m, i) => [m, i]));
    this.log = createFeedbackLog(reference.dim, M, settings.maxRows);
  }

  /** Rows in every worker's reference set once they catch up: the built set plus appended rows. */
  get referenceRows(): number {
    return this.initialRows + publishedRows(this.log);
  }

  get modelIds(): readonly string[] {
    return [...this.#modelIndex.keys()];
  }

  /** Per model: the drift correction of d^, changes detected, and the cost factor applied (1 with correction off). */
  modelStates(): { model: string; qualityCorrection: number; driftAlarms: number; costRatio: number }[] {
    const fb = this.model;
    return this.modelIds.map((model, m) => ({
      model,
      qualityCorrection: fb.drift ? fb.drift.correction(m) : 0,
      driftAlarms: fb.drift ? fb.drift.alarms(m) : 0,
      costRatio: fb.options.correctCost ? fb.costs.factor('cost', m) : 1,
    }));
  }

  get appliedOutcomes(): number {
    return this.#applied.size;
  }

  adjust(r: ScoreResult, ctx: { readonly maxOutputTokens: Int32Array; readonly alpha: number; readonly prices: Float32Array }): void {
    const { n, nModels: M } = r;
    if (n === 0) return;
    const raw = {
      nQueries: n,
      nModels: M,
      quality: r.quality,
      cost: r.costUsd,
      tokens: r.expectedOutputTokens,
      support: new Uint16Array(n * M),
    };
    // Features feed only the bonus: with beta 0 the projection (most of adjust's cost) is skipped.
    const features = this.model.options.ucb.beta > 0 ? this.#projection.projectBatch(r.embeddings, n) : new Float64Array(0);
    const adj = this.model.adjust(raw, features, ctx.alpha);
    r.quality.set(adj.quality);
    r.costUsd.set(adj.cost);
    for (let i = 0; i < n; i++) {
      const cap = ctx.maxOutputTokens[i]!;
      const prompt = r.promptTokens[i]!;
      for (let m = 0; m < M; m++) {
        const expected = adj.tokens[i * M + m]!;
        r.estimatedTokens[i * M + m] = prompt + (Number.isFinite(expected) ? Math.min(cap, Math.ceil(expected)) : cap);
      }
    }
    const quality = Float32Array.from(adj.quality, (v) => (Number.isFinite(v) ? v : 0));
    const cost = Float32Array.from(adj.cost, (v) => (Number.isFinite(v) ? v : 0));
    const bonus = adj.bonus === undefined ? undefined : Float32Array.from(adj.bonus);
    const { scores } = this.#kernel.scoreBatch({ nQueries: n, nModels: M, quality, cost, prices: ctx.prices, alpha: ctx.alpha, ...(bonus ? { bonus } : {}) });
    r.scores.set(scores);
  }

  reserved(requestId: string, reservation: PolicyReservation): void {
    // Routed again to another model (the first failed it): the first model's charge in the
    // policy's budget view is given back, as for any first choice the request did not go to.
    const prev = this.#reservations.get(requestId);
    if (prev !== undefined && prev.model !== reservation.model) prev.policy.recordLost({ model: prev.model, reservedCost: prev.reservedCost });
    this.#reservations.delete(requestId);
    this.#reservations.set(requestId, reservation);
    if (this.#reservations.size > MAX_RESERVATIONS) this.#reservations.delete(this.#reservations.keys().next().value!);
  }

  released(requestId: string): void {
    const prev = this.#reservations.get(requestId);
    if (prev === undefined) return;
    this.#reservations.delete(requestId);
    prev.policy.recordLost({ model: prev.model, reservedCost: prev.reservedCost });
  }

  /** Policy reservations settled with observed costs so far. */
  get settledReservations(): number {
    return this.#settled;
  }

  featuresOf(embedding: Float32Array, raw: { readonly quality: number; readonly costUsd: number; readonly outputTokens: number }): DecisionFeatures {
    return { embedding: encodeEmbeddingInt8(embedding), rawQuality: raw.quality, rawCostUsd: raw.costUsd, rawOutputTokens: raw.outputTokens };
  }

  /** Applies outcomes in order; each request id at most once. */
  apply(outcomes: readonly FeedbackOutcome[]): ApplyResult {
    const skipped = new Map<SkipReason, number>();
    const skip = (r: SkipReason): void => {
      skipped.set(r, (skipped.get(r) ?? 0) + 1);
    };
    let applied = 0;
    const M = this.#nModels;
    for (const o of outcomes) {
      if (this.#applied.has(o.requestId)) {
        skip('duplicate');
        continue;
      }
      const m = this.#modelIndex.get(o.model);
      if (m === undefined) {
        skip('unknown_model');
        continue;
      }
      if (o.embedding === null || o.rawQuality === null || o.rawCostUsd === null) {
        skip('no_features');
        continue;
      }
      if (o.reward === null) {
        skip('no_reward');
        continue;
      }
      if (publishedRows(this.log) >= this.log.capacity && this.model.options.appendRows) {
        skip('capacity');
        continue;
      }
      const embedding = decodeEmbeddingInt8(o.embedding);
      let norm = 0;
      for (const v of embedding) norm += v * v;
      norm = Math.sqrt(norm);
      if (norm > 0) for (let j = 0; j < embedding.length; j++) embedding[j]! /= norm;
      const id = this.model.observe({
        model: m,
        predicted: { quality: o.rawQuality, cost: o.rawCostUsd, ...(o.rawOutputTokens !== null ? { tokens: o.rawOutputTokens } : {}) },
        observed: { quality: o.reward, cost: o.costUsd ?? Number.NaN, tokens: o.completionTokens },
        features: this.#projection.projectBatch(embedding, 1),
      });
      this.#applied.add(o.requestId);
      applied++;
      // Decided by this process: the policy's spend becomes the observed cost instead of its
      // reservation, so resolving-dual re-solves its dual prices on what was really spent.
      const reservation = this.#reservations.get(o.requestId);
      if (reservation !== undefined && reservation.model === m && o.costUsd !== null) {
        this.#reservations.delete(o.requestId);
        reservation.policy.recordOutcome({ model: m, cost: o.costUsd, quality: o.reward, reservedCost: reservation.reservedCost });
        this.#settled++;
      }
      if (id !== null) {
        const ref = this.model.ref;
        const cell = (metric: 'quality' | 'cost' | 'tokens'): Float64Array => ref.view(metric).subarray(id * M, (id + 1) * M);
        appendFeedbackRow(this.log, embedding, { quality: cell('quality'), cost: cell('cost'), tokens: cell('tokens') });
      }
    }
    return { applied, skipped };
  }
}

