// The shell's half of outcome feedback: polls Postgres for new outcomes after a watermark and
// hands them to the engine's FeedbackLoop; `restore` rebuilds the state from the newest stored
// outcomes at start, so learning survives restarts.
import type { Logger } from 'pino';
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { ApplyResult, FeedbackLoop } from '@switchyard/routing-engine';
import { FEEDBACK_START, clearOldDecisionFeatures, readFeedbackHistory, readFeedbackOutcomes } from '@switchyard/store';
import type { FeedbackOutcome, FeedbackWatermark, Pool } from '@switchyard/store';

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
    const perModel = (name: string, help: string, pick: (s: ReturnType<FeedbackLoop['modelStates']>[number]) => number): void => {
      new Gauge({
        name,
        help,
        labelNames: ['model'],
        registers,
        collect() {
          for (const s of loop.modelStates()) this.set({ model: s.model }, pick(s));
        },
      });
    };
    perModel('router_feedback_quality_correction', 'Per model: the drift correction added to d^ (0 until a change of its quality residual is detected).', (s) => s.qualityCorrection);
    perModel('router_feedback_drift_alarms', 'Per model: changes of the quality residual detected (Page-Hinkley) since start.', (s) => s.driftAlarms);
    perModel('router_feedback_cost_ratio', 'Per model: the factor applied to cost estimates (1 while cost correction is off).', (s) => s.costRatio);
    perModel(
      'router_feedback_observed_cost_ratio',
      'Per model: observed over predicted cost of its outcomes, discounted and shrunk toward 1 (what cost correction uses; tracked while it is off too).',
      (s) => s.observedCostRatio,
    );
    perModel('router_feedback_quality_residual', 'Per model: discounted mean of observed quality minus the raw k-NN estimate of its outcomes (0.95 per outcome).', (s) => s.qualityResidual);
    perModel('router_feedback_model_outcomes', 'Per model: outcomes applied since start (restored ones included).', (s) => s.outcomes);
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
