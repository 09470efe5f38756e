// The outputs of one slice as they accumulate: messages for the Kafka transaction, decision
// rows and stats, plus the encoders of dead letters and rejected/deferred rows.
import type { DeadLetterReason, DeadLetterV1, RequestV3 } from '@switchyard/contracts';
import type { EngineParts } from './parts.ts';
import type { InputRecord, OutputMessage, RoutingDecision, SliceStats } from './slice.ts';

export type RowBase = Omit<RoutingDecision, 'outcome' | 'model' | 'batchId' | 'fallbackRank' | 'estimatedTokens' | 'predictedQuality' | 'predictedCostUsd' | 'score' | 'dualPrice' | 'reason' | 'deferUntilMs'>;

export class SliceOutput {
  readonly messages: OutputMessage[];
  readonly decisions: RoutingDecision[];
  readonly stats: SliceStats;
  readonly #p: EngineParts;

  constructor(parts: EngineParts, messages: OutputMessage[], decisions: RoutingDecision[], stats: SliceStats) {
    this.#p = parts;
    this.messages = messages;
    this.decisions = decisions;
    this.stats = stats;
  }

  deadLetter(record: InputRecord, reason: DeadLetterReason, detail: string): void {
    const p = this.#p;
    this.stats.deadLetters.set(reason, (this.stats.deadLetters.get(reason) ?? 0) + 1);
    const dl: DeadLetterV1 = {
      reason,
      detail: detail.slice(0, 4_000),
      sourceTopic: record.topic,
      sourcePartition: record.partition,
      sourceOffset: Number(record.offset),
      originalKey: record.key,
      originalValue: record.value,
      originalHeaders: record.headers,
      failedAt: p.clock(),
      service: `router/${p.config.router.instanceId}`,
    };
    let value = p.deadLetterSerde.encode(dl);
    const limit = p.config.router.maxDeadLetterBytes;
    if (value.length + (record.key?.length ?? 0) > limit && record.value !== null) {
      // The envelope made it too large for the topic: keep everything but the original value,
      // which stays readable at its source offset (until retention).
      const note = `original value (${record.value.length} bytes) left out: the dead letter would exceed router.maxDeadLetterBytes ${limit}; it is at ${record.topic}[${record.partition}]@${record.offset}. `;
      value = p.deadLetterSerde.encode({ ...dl, originalValue: null, detail: (note + dl.detail).slice(0, 4_000) });
    }
    this.messages.push({ topic: p.config.topics.deadLetter, key: record.key, value });
  }

  base(record: InputRecord, request: RequestV3, promptTokens: number, deferrals: number, policy: string, nowMs: number): RowBase {
    return {
      requestId: request.requestId,
      jobId: request.jobId,
      tenant: request.tenant,
      promptTokens,
      scores: [],
      deferrals,
      policy,
      routerInstance: this.#p.config.router.instanceId,
      sourceTopic: record.topic,
      sourcePartition: record.partition,
      sourceOffset: record.offset,
      decidedAtMs: nowMs,
    };
  }

  /** A decision without a model (rejected or deferred). */
  row(base: RowBase, outcome: RoutingDecision['outcome'], reason: string | null): RoutingDecision {
    return {
      ...base,
      outcome,
      model: null,
      batchId: null,
      fallbackRank: null,
      estimatedTokens: null,
      predictedQuality: null,
      predictedCostUsd: null,
      score: null,
      dualPrice: null,
      reason,
      deferUntilMs: null,
    };
  }
}

export function finiteOr<T>(v: number | undefined, fallback: T): number | T {
  return v !== undefined && Number.isFinite(v) ? v : fallback;
}
