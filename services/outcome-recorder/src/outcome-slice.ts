// One fetched slice of the outcomes topic: decode and validate each event, write the valid
// ones to Postgres in one transaction, count them, and return the dead letters of the others
// for the slice's Kafka transaction.
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import type { AvroSerde, DeadLetterReason, DeadLetterV1, OutcomeV2, createOutcomeValidator } from '@switchyard/contracts';
import type { BatchInput, BatchOutput, OutputRecord } from '@switchyard/kafka-io';
import { recordOutcomes } from '@switchyard/store';
import type { OutcomeRecord, Pool } from '@switchyard/store';
import type { OutcomeRecorderConfig } from './config.ts';
import { segmentFromHeaders, toOutcomeRecord } from './convert.ts';
import { settleSlice } from './settlements.ts';
import { SpanKind, context, endWithError, startBatchSpan, trace, tracingEnabled } from '@switchyard/telemetry';

export interface OutcomeSliceDeps {
  readonly pool: Pool;
  readonly outcomeSerde: AvroSerde<OutcomeV2>;
  readonly deadLetterSerde: AvroSerde<DeadLetterV1>;
  readonly validate: ReturnType<typeof createOutcomeValidator>;
  readonly models: ReadonlyMap<string, OutcomeRecorderConfig['switchyard']['models'][number]>;
  readonly deadLetterTopic: string;
  readonly serviceName: string;
  readonly counts: { consumed: number; inserted: number; replaced: number; duplicates: number; stale: number; deadLettered: number };
  readonly written: Counter;
  readonly dead: Counter;
  /** Dollar settlements, by result (settled, overrun, unpriced). */
  readonly usd: Counter;
  readonly log: Logger;
}

export function outcomeSliceHandler(deps: OutcomeSliceDeps): (input: BatchInput) => Promise<BatchOutput> {
  const handle = sliceWriter(deps);
  const tracer = trace.getTracer('switchyard.recorder');
  // A span per slice when tracing is on: a child of the first outcome's context (the execution
  // span of its batch) and linked to the other batches' execution spans.
  return async (input) => {
    if (!tracingEnabled()) return handle(input);
    const traced = startBatchSpan(tracer, 'switchyard.record', input.messages.map((m) => m.headers), {
      kind: SpanKind.CONSUMER,
      attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': input.topic, 'messaging.destination.partition.id': String(input.partition), 'messaging.batch.message_count': input.messages.length },
    });
    try {
      const output = await context.with(traced.context, () => handle(input));
      traced.span.end();
      return output;
    } catch (err) {
      endWithError(traced.span, err);
      throw err;
    }
  };
}

function sliceWriter(deps: OutcomeSliceDeps): (input: BatchInput) => Promise<BatchOutput> {
  const { pool, outcomeSerde, deadLetterSerde, validate, models, serviceName, counts, written, dead, usd, log } = deps;
  return async ({ topic, partition, messages }) => {
    const rows: OutcomeRecord[] = [];
    const records: OutputRecord[] = [];
    const deadLetter = (m: (typeof messages)[number], reason: DeadLetterReason, detail: string): void => {
      const letter: DeadLetterV1 = {
        reason,
        detail,
        sourceTopic: topic,
        sourcePartition: partition,
        sourceOffset: Number(m.offset),
        originalKey: m.key,
        originalValue: m.value,
        originalHeaders: Object.entries(m.headers ?? {}).flatMap(([key, v]) =>
          (Array.isArray(v) ? v : [v]).map((value) => ({ key, value: value === undefined ? null : Buffer.from(value) })),
        ),
        failedAt: Date.now(),
        service: serviceName,
      };
      records.push({ topic: deps.deadLetterTopic, key: m.key, value: deadLetterSerde.encode(letter) });
    };
    const reasons: DeadLetterReason[] = [];
    for (const m of messages) {
      const decoded = await outcomeSerde.decode(m.value);
      if (!decoded.ok) {
        deadLetter(m, decoded.reason, decoded.detail);
        reasons.push(decoded.reason);
        continue;
      }
      const checked = validate(decoded.value);
      if (!checked.ok) {
        deadLetter(m, checked.reason, checked.detail);
        reasons.push(checked.reason);
        continue;
      }
      const outcome: OutcomeV2 = checked.value;
      rows.push(toOutcomeRecord(outcome, segmentFromHeaders(m.headers), models.get(outcome.model), { topic, partition, offset: m.offset }));
    }
    const result = await recordOutcomes(pool, rows);
    await settleSlice(pool, rows, result.byRequest, usd, log);
    trace.getActiveSpan()?.setAttributes({ 'switchyard.inserted': result.inserted, 'switchyard.replaced': result.replaced, 'switchyard.duplicates': result.duplicates, 'switchyard.dead_lettered': reasons.length });
    // Counted only after the write succeeded; a slice that fails is re-read and counted then.
    counts.consumed += messages.length;
    counts.inserted += result.inserted;
    counts.replaced += result.replaced;
    counts.duplicates += result.duplicates;
    counts.stale += result.stale;
    counts.deadLettered += reasons.length;
    written.inc({ result: 'inserted' }, result.inserted);
    written.inc({ result: 'replaced' }, result.replaced);
    written.inc({ result: 'duplicate' }, result.duplicates);
    written.inc({ result: 'stale' }, result.stale);
    for (const r of reasons) dead.inc({ reason: r });
    if (reasons.length > 0) log.warn({ topic, partition, reasons }, 'malformed outcomes dead-lettered');
    return { records };
  };
}
