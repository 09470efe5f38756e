// Token-bounded, per-model batch packing: the step between a routing decision and the
// `routed.<model>` topics. Pure: the caller passes the clock in, nothing here does I/O.
//
// Rules (the invariants the property tests check):
// - a batch never holds more than `maxBatchTokens` estimated tokens nor more than
//   `maxBatchRequests` requests;
// - every accepted request is emitted exactly once, in the order it was accepted per model;
// - a request whose estimate alone exceeds `maxBatchTokens` is NOT accepted: `add` returns an
//   explicit `request_exceeds_batch_tokens` outcome. Sending it as a batch of its own would break
//   the bound an executor sized its batch for (context window, batch API limits), so the caller
//   must route it to a model with a larger bound or reject it.
//
// Emission is greedy first-fit in arrival order (no reordering to fill gaps): batches keep the
// order requests were decided in, which keeps priority order and makes replays deterministic.

export interface BatchLimits {
  readonly maxBatchTokens: number;
  readonly maxBatchRequests: number;
  /** How long a partial batch may wait for more requests before `flushDue` emits it. */
  readonly flushIntervalMs: number;
}

export interface PackItem<T> {
  readonly requestId: string;
  /** Estimated tokens of the request on this model: prompt tokens + expected output tokens. */
  readonly tokens: number;
  readonly value: T;
}

/**
 * Why a batch was emitted:
 * `full_tokens` its tokens reached the bound exactly, `full_requests` it reached the request
 * bound, `overflow` the next request would not have fitted, `interval` it waited
 * `flushIntervalMs`, `drain` the caller asked for everything (end of a transaction, shutdown).
 */
export type FlushReason = 'full_tokens' | 'full_requests' | 'overflow' | 'interval' | 'drain';

export interface PackedBatch<T> {
  readonly model: string;
  /** 0-based, per model, in emission order for this packer. */
  readonly sequence: number;
  readonly items: readonly PackItem<T>[];
  readonly totalTokens: number;
  readonly openedAtMs: number;
  readonly reason: FlushReason;
}

export type AddRejectReason = 'unknown_model' | 'invalid_tokens' | 'request_exceeds_batch_tokens';

export type AddResult<T> =
  | { readonly ok: true; readonly emitted: readonly PackedBatch<T>[] }
  | { readonly ok: false; readonly reason: AddRejectReason; readonly detail: string };

interface OpenBatch<T> {
  items: PackItem<T>[];
  totalTokens: number;
  openedAtMs: number;
}

interface ModelLane<T> {
  readonly model: string;
  readonly limits: BatchLimits;
  open: OpenBatch<T> | null;
  nextSequence: number;
}

function checkLimits(model: string, limits: BatchLimits): void {
  const positiveInt = (n: number): boolean => Number.isSafeInteger(n) && n > 0;
  if (!positiveInt(limits.maxBatchTokens)) {
    throw new RangeError(`batch limits of ${model}: maxBatchTokens must be a positive integer, got ${limits.maxBatchTokens}`);
  }
  if (!positiveInt(limits.maxBatchRequests)) {
    throw new RangeError(`batch limits of ${model}: maxBatchRequests must be a positive integer, got ${limits.maxBatchRequests}`);
  }
  if (!Number.isFinite(limits.flushIntervalMs) || limits.flushIntervalMs < 0) {
    throw new RangeError(`batch limits of ${model}: flushIntervalMs must be >= 0, got ${limits.flushIntervalMs}`);
  }
}

export class BatchPacker<T> {
  readonly #lanes = new Map<string, ModelLane<T>>();

  /** Invalid limits are a configuration bug, so they throw (RangeError) instead of returning a value. */
  constructor(limitsByModel: ReadonlyMap<string, BatchLimits> | Readonly<Record<string, BatchLimits>>) {
    const entries = limitsByModel instanceof Map ? [...limitsByModel.entries()] : Object.entries(limitsByModel);
    for (const [model, limits] of entries) {
      checkLimits(model, limits);
      this.#lanes.set(model, { model, limits: Object.freeze({ ...limits }), open: null, nextSequence: 0 });
    }
  }

  limitsOf(model: string): BatchLimits | undefined {
    return this.#lanes.get(model)?.limits;
  }

  /** Adds one request to its model's open batch; returns the batches this addition completed (0 to 2). */
  add(model: string, item: PackItem<T>, nowMs: number): AddResult<T> {
    const lane = this.#lanes.get(model);
    if (lane === undefined) return { ok: false, reason: 'unknown_model', detail: `no batch limits for model ${model}` };
    if (!Number.isFinite(item.tokens) || item.tokens < 0) {
      return { ok: false, reason: 'invalid_tokens', detail: `tokens must be finite and >= 0, got ${item.tokens}` };
    }
    if (item.tokens > lane.limits.maxBatchTokens) {
      return {
        ok: false,
        reason: 'request_exceeds_batch_tokens',
        detail: `request ${item.requestId} needs ${item.tokens} tokens, ${model} batches hold at most ${lane.limits.maxBatchTokens}`,
      };
    }
    const emitted: PackedBatch<T>[] = [];
    if (lane.open !== null && lane.open.totalTokens + item.tokens > lane.limits.maxBatchTokens) {
      emitted.push(this.#close(lane, 'overflow'));
    }
    if (lane.open === null) lane.open = { items: [], totalTokens: 0, openedAtMs: nowMs };
    lane.open.items.push(item);
    lane.open.totalTokens += item.tokens;
    if (lane.open.items.length >= lane.limits.maxBatchRequests) {
      emitted.push(this.#close(lane, 'full_requests'));
    } else if (lane.open.totalTokens >= lane.limits.maxBatchTokens) {
      emitted.push(this.#close(lane, 'full_tokens'));
    }
    return { ok: true, emitted };
  }

  /** Emits every open batch that has waited at least its model's `flushIntervalMs`. */
  flushDue(nowMs: number): PackedBatch<T>[] {
    const out: PackedBatch<T>[] = [];
    for (const lane of this.#lanes.values()) {
      if (lane.open !== null && nowMs - lane.open.openedAtMs >= lane.limits.flushIntervalMs) {
        out.push(this.#close(lane, 'interval'));
      }
    }
    return out;
  }

  /** Emits every open batch regardless of age. */
  drain(): PackedBatch<T>[] {
    const out: PackedBatch<T>[] = [];
    for (const lane of this.#lanes.values()) {
      if (lane.open !== null) out.push(this.#close(lane, 'drain'));
    }
    return out;
  }

  /** The earliest time at which `flushDue` would emit something, or null when nothing is open. */
  nextDueAtMs(): number | null {
    let next: number | null = null;
    for (const lane of this.#lanes.values()) {
      if (lane.open === null) continue;
      const due = lane.open.openedAtMs + lane.limits.flushIntervalMs;
      if (next === null || due < next) next = due;
    }
    return next;
  }

  pendingRequests(): number {
    let n = 0;
    for (const lane of this.#lanes.values()) n += lane.open?.items.length ?? 0;
    return n;
  }

  #close(lane: ModelLane<T>, reason: FlushReason): PackedBatch<T> {
    const open = lane.open;
    if (open === null) throw new Error(`invariant: no open batch for ${lane.model}`);
    lane.open = null;
    const batch: PackedBatch<T> = Object.freeze({
      model: lane.model,
      sequence: lane.nextSequence,
      items: Object.freeze(open.items),
      totalTokens: open.totalTokens,
      openedAtMs: open.openedAtMs,
      reason,
    });
    lane.nextSequence += 1;
    return batch;
  }
}
