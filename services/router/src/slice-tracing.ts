// Traces of the router, when tracing is on (nothing per record when it is off):
// - `switchyard.route`, one span per slice: a child of the first request's context (its job's
//   submit span), linked to the other distinct contexts of the slice (other jobs);
// - `switchyard.publish`, one span per routed batch, a child of the slice span and linked to
//   the contexts of the batch's requests; it ends when the slice's Kafka transaction commits
//   (or aborts), so it covers the publish itself. The batch record carries it as `traceparent`
//   and its requests' contexts in `switchyard-trace-links`, for the executor.
// Deferred records and dead letters carry the slice span, so a deferred request's trace goes on
// when it comes due.
import type { KafkaMessage } from 'kafkajs';
import type { BatchInput, OutputRecord, RunnerEvent } from '@switchyard/kafka-io';
import type { SliceResult } from '@switchyard/routing-engine';
import { SpanKind, SpanStatusCode, TRACE_LINKS_HEADER, distinctContexts, endWithError, injectTraceHeaders, linksHeaderValue, startBatchSpan, trace, tracingEnabled } from '@switchyard/telemetry';
import type { BatchSpan, Span } from '@switchyard/telemetry';

export class SliceTracer {
  readonly #tracer = trace.getTracer('switchyard.router');
  /** Publish spans waiting for their slice's transaction, by input topic/partition. */
  readonly #pending = new Map<string, Span[]>();

  /** The slice span; null when tracing is off. */
  begin(input: BatchInput): BatchSpan | null {
    if (!tracingEnabled()) return null;
    return startBatchSpan(this.#tracer, 'switchyard.route', input.messages.map((m) => m.headers), {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.destination.name': input.topic,
        'messaging.destination.partition.id': String(input.partition),
        'messaging.batch.message_count': input.messages.length,
      },
    });
  }

  /** Trace headers on the outputs, a publish span per routed batch; ends the slice span. */
  finish(slice: BatchSpan, input: BatchInput, result: SliceResult, records: readonly OutputRecord[]): OutputRecord[] {
    const offsetsOf = new Map<string, string[]>();
    for (const d of result.decisions) {
      if (d.outcome !== 'routed' || d.batchId === null) continue;
      const list = offsetsOf.get(d.batchId);
      if (list === undefined) offsetsOf.set(d.batchId, [d.sourceOffset]);
      else list.push(d.sourceOffset);
    }
    const byOffset = new Map<string, KafkaMessage>(input.messages.map((m) => [m.offset, m]));
    const sliceHeaders = injectTraceHeaders(slice.context);
    const publishes: Span[] = [];
    const out = records.map((r) => {
      const offsets = typeof r.key === 'string' ? offsetsOf.get(r.key) : undefined;
      if (offsets === undefined) return { ...r, headers: { ...r.headers, ...sliceHeaders } };
      const sources = distinctContexts(offsets.map((o) => byOffset.get(o)?.headers));
      const span = this.#tracer.startSpan(
        'switchyard.publish',
        {
          kind: SpanKind.PRODUCER,
          links: sources.map((context) => ({ context })),
          attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': r.topic, 'switchyard.batch_id': r.key as string, 'messaging.batch.message_count': offsets.length },
        },
        slice.context,
      );
      publishes.push(span);
      const headers = injectTraceHeaders(trace.setSpan(slice.context, span));
      if (sources.length > 0) headers[TRACE_LINKS_HEADER] = linksHeaderValue(sources);
      return { ...r, headers: { ...r.headers, ...headers } };
    });
    slice.span.setAttributes({ 'switchyard.processed': result.processed, 'switchyard.routed_batches': publishes.length, 'switchyard.decisions': result.decisions.length });
    slice.span.end();
    this.#hold(`${input.topic}/${input.partition}`, publishes);
    return out;
  }

  fail(slice: BatchSpan, err: unknown): void {
    endWithError(slice.span, err);
  }

  /** Ends the publish spans of a slice when its transaction committed or aborted. */
  onEvent(event: RunnerEvent): void {
    if (event.type !== 'committed' && event.type !== 'aborted') return;
    const key = `${event.topic}/${event.partition}`;
    const spans = this.#pending.get(key);
    if (spans === undefined) return;
    this.#pending.delete(key);
    for (const s of spans) {
      if (event.type === 'aborted') endWithError(s, event.error);
      else s.end();
    }
  }

  #hold(key: string, spans: Span[]): void {
    // A partition has one slice in flight; spans still held belong to a slice whose
    // transaction never reported back (the runner stopped or lost the partition).
    for (const s of this.#pending.get(key) ?? []) {
      s.setStatus({ code: SpanStatusCode.ERROR, message: 'transaction outcome unknown' });
      s.end();
    }
    if (spans.length > 0) this.#pending.set(key, spans);
    else this.#pending.delete(key);
  }
}
