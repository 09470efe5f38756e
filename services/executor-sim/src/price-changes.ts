// Scheduled price changes: from a point in the run on, one model's true cost is reported times
// a factor, as when a provider changes its price in the middle of a job. What feedback has to
// notice: the dataset still says the old price, only the reported outcomes carry the new one.
import type { PriceChangeSpec } from './config.ts';

/**
 * When each change starts: after the simulator has executed `afterOutcomes` distinct requests
 * (all models, counted by request id in this process, so a batch executed again after an aborted
 * transaction is not counted twice), or at `atMs` on its clock. A request executed again after
 * its change started reports the new price (the provider's bill at the time it ran).
 */
export class PriceSchedule {
  readonly #changes: readonly PriceChangeSpec[];
  readonly #clock: () => number;
  readonly #seen = new Set<string>();
  readonly #countUntil: number;
  #executed = 0;

  constructor(changes: readonly PriceChangeSpec[], clock: () => number = Date.now) {
    this.#changes = changes;
    this.#clock = clock;
    this.#countUntil = changes.reduce((a, c) => Math.max(a, c.afterOutcomes ?? 0), 0);
  }

  /** Distinct requests executed so far (counted only until the last count-based change has started). */
  get executed(): number {
    return this.#executed;
  }

  /**
   * The factor on `model`'s cost for a request executed now, then counts the request. Requests of
   * one batch are passed in order, so a change can start in the middle of a batch.
   */
  factorFor(model: string, requestId: string): number {
    const now = this.#clock();
    let factor = 1;
    for (const c of this.#changes) {
      if (c.model !== model) continue;
      const started = c.afterOutcomes !== undefined ? this.#executed >= c.afterOutcomes : now >= c.atMs!;
      if (started) factor *= c.factor;
    }
    // The set is bounded by the largest threshold: once every count-based change started, counting stops.
    if (this.#executed < this.#countUntil && !this.#seen.has(requestId)) {
      this.#seen.add(requestId);
      this.#executed++;
      if (this.#executed >= this.#countUntil) this.#seen.clear();
    }
    return factor;
  }

  /** Whether any change is configured (the simulator skips the schedule otherwise). */
  get empty(): boolean {
    return this.#changes.length === 0;
  }
}
