import { describe, expect, it } from 'vitest';
import { SpanKind, TraceFlags } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { MAX_LINKS, TRACEPARENT_HEADER, injectTraceHeaders, spanContextOfHeaders, startBatchSpan } from '../src/index.ts';

function setup() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { exporter, tracer: provider.getTracer('test') };
}

const tp = (trace: number, span: number) => `00-${trace.toString(16).padStart(32, '0')}-${span.toString(16).padStart(16, '0')}-01`;

describe('startBatchSpan', () => {
  it('is a child of the first record context and links every other distinct one', () => {
    const { exporter, tracer } = setup();
    const headers = [{ [TRACEPARENT_HEADER]: tp(1, 1) }, { [TRACEPARENT_HEADER]: Buffer.from(tp(1, 1)) }, undefined, {}, { [TRACEPARENT_HEADER]: tp(2, 7) }, { [TRACEPARENT_HEADER]: 'junk' }];
    const b = startBatchSpan(tracer, 'slice', headers, { kind: SpanKind.CONSUMER, attributes: { n: 6 } });
    b.span.end();
    const [span] = exporter.getFinishedSpans();
    expect(span!.spanContext().traceId).toBe(tp(1, 1).slice(3, 35));
    expect(span!.parentSpanContext?.spanId).toBe('1'.padStart(16, '0'));
    expect(span!.links.map((l) => l.context.spanId)).toEqual(['7'.padStart(16, '0')]);
    expect(b.sources).toHaveLength(2);
    // What a record produced inside the span carries: this span, same trace.
    const out = spanContextOfHeaders(injectTraceHeaders(b.context))!;
    expect(out).toMatchObject({ traceId: span!.spanContext().traceId, spanId: span!.spanContext().spanId, traceFlags: TraceFlags.SAMPLED });
  });

  it('starts a new trace when no record carries a context, and bounds its links', () => {
    const { exporter, tracer } = setup();
    startBatchSpan(tracer, 'none', [{}, undefined], { kind: SpanKind.CONSUMER }).span.end();
    const many = Array.from({ length: 200 }, (_, i) => ({ [TRACEPARENT_HEADER]: tp(i + 1, i + 1) }));
    startBatchSpan(tracer, 'many', many, { kind: SpanKind.CONSUMER }).span.end();
    const [none, bounded] = exporter.getFinishedSpans();
    expect(none!.parentSpanContext).toBeUndefined();
    expect(bounded!.links).toHaveLength(MAX_LINKS);
  });
});
