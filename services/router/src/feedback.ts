// Outcome feedback in the running router. Three parts:
//
// - adjust: the raw k-NN estimates a worker returns go through FeedbackModel.adjust (per-model
//   cost and token correction, LinUCB bonus) before the policy sees them; the kernel scores are
//   recomputed here under the same price snapshot, so the policy (and ours' dual prices, which
//   re-solve on spend and on the estimates it scores) works on the adjusted values.
// - featuresOf: what a routed decision stores for feedback (int8 embedding, raw estimates of the
//   chosen model), written with the decision row.
// - apply: outcomes read back from Postgres (any router instance's; libs/store feedback.ts)
//   go through FeedbackModel.observe, and each appended reference row is published to every
//   scoring worker through the shared feedback log. Idempotent by request id.
//
// FeedbackPoller polls on a timer after a watermark, and `restore` rebuilds the state from the
// newest stored outcomes at start, so learning survives restarts.
import type { Logger } from 'pino';
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { FeedbackModel, RandomProjection, ReferenceSet } from '@switchyard/routing-core';
import type { FeedbackOptions, RoutingPolicy } from '@switchyard/routing-core';
import { TsScoringBackend } from '@switchyard/scoring';
import { FEEDBACK_START, clearOldDecisionFeatures, decodeEmbeddingInt8, encodeEmbeddingInt8, readFeedbackHistory, readFeedbackOutcomes } from '@switchyard/store';
import type { DecisionFeatures, FeedbackOutcome, FeedbackWatermark, Pool } from '@switchyard/store';
import { appendFeedbackRow, createFeedbackLog, publishedRows } from './feedback-log.ts';
import type { FeedbackLogShared } from './feedback-log.ts';
import type { SharedReference } from './reference.ts';
import type { ScoreResult } from './scoring-task.ts';

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
    this.#reservations.delete(requestId);
    this.#reservations.set(requestId, reservation);
    if (this.#reservations.size > MAX_RESERVATIONS) this.#reservations.delete(this.#reservations.keys().next().value!);
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
      // reservation, so ours re-solves its dual prices on what was really spent.
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

export interface FeedbackPollerOptions {
  readonly pollIntervalMs: number;
  readonly batchRows: number;
  readonly maxRows: number;
  readonly retentionDays: number;
  readonly log: Logger;
  readonly registry: Registry;
  readonly clock: () => number;
}

/** Polls Postgres for new outcomes after a watermark and applies them; one poll at a time. */
export class FeedbackPoller {
  readonly #loop: FeedbackLoop;
  readonly #pg: Pool;
  readonly #o: FeedbackPollerOptions;
  #watermark: FeedbackWatermark = FEEDBACK_START;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<number> = Promise.resolve(0);
  #stopped = false;
  #lastRetentionMs = Number.NEGATIVE_INFINITY;
  readonly #appliedTotal: Counter;
  readonly #skippedTotal: Counter;
  readonly #lag: Gauge;

  constructor(loop: FeedbackLoop, pg: Pool, options: FeedbackPollerOptions) {
    this.#loop = loop;
    this.#pg = pg;
    this.#o = options;
    const registers = [options.registry];
    this.#appliedTotal = new Counter({ name: 'router_feedback_outcomes_applied_total', help: 'Outcomes applied to the feedback model (each request once).', registers });
    this.#skippedTotal = new Counter({ name: 'router_feedback_outcomes_skipped_total', help: 'Outcomes read but not applied, by reason.', labelNames: ['reason'], registers });
    new Gauge({
      name: 'router_feedback_reference_rows',
      help: 'Rows of the k-NN reference set: the built set plus rows appended from outcomes.',
      registers,
      collect() {
        this.set(loop.referenceRows);
      },
    });
    new Gauge({
      name: 'router_feedback_reservations_settled',
      help: 'Policy reservations of requests this process routed, settled with their observed cost.',
      registers,
      collect() {
        this.set(loop.settledReservations);
      },
    });
    this.#lag = new Gauge({ name: 'router_feedback_lag_seconds', help: 'At the last poll that applied outcomes: now minus when the newest of them was written.', registers });
  }

  get watermark(): FeedbackWatermark {
    return this.#watermark;
  }

  /** At start: the newest `maxRows` stored outcomes with features, then polling continues after them. */
  async restore(): Promise<ApplyResult> {
    const { outcomes, watermark } = await readFeedbackHistory(this.#pg, this.#o.maxRows, this.#loop.modelIds);
    const r = this.#loop.apply(outcomes);
    this.#count(r, outcomes);
    this.#watermark = watermark;
    return r;
  }

  start(): void {
    const tick = (): void => {
      this.#timer = null;
      if (this.#stopped) return;
      void this.poll()
        .catch((err: unknown) => this.#o.log.warn({ err }, 'feedback poll failed; retrying at the next interval'))
        .finally(() => {
          if (!this.#stopped) this.#timer = setTimeout(tick, this.#o.pollIntervalMs);
        });
    };
    this.#timer = setTimeout(tick, this.#o.pollIntervalMs);
  }

  /** Reads and applies everything new now; resolves with the outcomes applied. */
  poll(): Promise<number> {
    const next = this.#running.catch(() => 0).then(() => this.#pollOnce());
    this.#running = next;
    return next;
  }

  async #pollOnce(): Promise<number> {
    let total = 0;
    for (;;) {
      const page = await readFeedbackOutcomes(this.#pg, this.#watermark, this.#o.batchRows, this.#loop.modelIds);
      if (page.length === 0) break;
      const r = this.#loop.apply(page);
      this.#count(r, page);
      total += r.applied;
      this.#watermark = page[page.length - 1]!.watermark;
      if (page.length < this.#o.batchRows) break;
    }
    const now = this.#o.clock();
    if (now - this.#lastRetentionMs >= 3_600_000) {
      this.#lastRetentionMs = now;
      const cleared = await clearOldDecisionFeatures(this.#pg, this.#o.retentionDays);
      if (cleared > 0) this.#o.log.info({ cleared, retentionDays: this.#o.retentionDays }, 'cleared old decision embeddings');
    }
    return total;
  }

  #count(r: ApplyResult, rows: readonly FeedbackOutcome[]): void {
    this.#appliedTotal.inc(r.applied);
    for (const [reason, n] of r.skipped) this.#skippedTotal.inc({ reason }, n);
    if (r.applied > 0 && rows.length > 0) {
      const newest = rows.reduce((a, o) => Math.max(a, o.updatedAtMs), Number.NEGATIVE_INFINITY);
      this.#lag.set(Math.max(0, (this.#o.clock() - newest) / 1_000));
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running.catch(() => undefined);
  }
}
