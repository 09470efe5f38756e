// A span for work done on many records at once (a routing slice, a routed batch, a slice of
// outcomes). Its parent is the first record's context, and every other distinct context the
// records carry becomes a link (OpenTelemetry messaging conventions for batch receiving), so
// each request's trace reaches the span without one span per request. Records of one job carry
// the same context, so a slice of one job has one parent and no links.
import { ROOT_CONTEXT, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes, Context, Link, Span, SpanContext, SpanKind, Tracer } from '@opentelemetry/api';
import { MAX_LINKS, TRACEPARENT_HEADER, spanContextOfHeaders } from './propagation.ts';
import type { KafkaHeaders } from './propagation.ts';

export interface BatchSpan {
  readonly span: Span;
  /** The parent context with this span set: start child spans and inject headers from it. */
  readonly context: Context;
  /** The distinct remote contexts of the records, parent first (at most MAX_LINKS + 1). */
  readonly sources: readonly SpanContext[];
}

/** Distinct span contexts of the records' headers, in record order, at most `max`. */
export function distinctContexts(headers: Iterable<KafkaHeaders | undefined>, max: number = MAX_LINKS + 1): SpanContext[] {
  // Records of one job repeat one traceparent: compared as text, it is parsed once.
  const seen = new Set<string>();
  const out: SpanContext[] = [];
  for (const h of headers) {
    const raw = h?.[TRACEPARENT_HEADER];
    if (raw === undefined) continue;
    const first = Array.isArray(raw) ? (raw as readonly (Buffer | string)[])[0] : (raw as Buffer | string);
    const text = typeof first === 'string' ? first : first === undefined ? '' : first.toString('latin1');
    if (seen.has(text)) continue;
    seen.add(text);
    const sc = spanContextOfHeaders(h);
    if (sc === undefined || out.some((o) => o.spanId === sc.spanId && o.traceId === sc.traceId)) continue;
    out.push(sc);
    if (out.length >= max) break;
  }
  return out;
}

export interface BatchSpanOptions {
  readonly kind: SpanKind;
  readonly attributes?: Attributes;
  /** Links besides the records' own contexts (e.g. the contexts a routed batch names). */
  readonly links?: readonly Link[];
}

export function startBatchSpan(tracer: Tracer, name: string, headers: Iterable<KafkaHeaders | undefined>, options: BatchSpanOptions): BatchSpan {
  const sources = distinctContexts(headers);
  const parent = sources[0] === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, sources[0]);
  const links: Link[] = sources.slice(1).map((context) => ({ context }));
  for (const l of options.links ?? []) if (links.length < MAX_LINKS && !sources.some((s) => s.spanId === l.context.spanId)) links.push(l);
  const span = tracer.startSpan(name, { kind: options.kind, ...(options.attributes !== undefined ? { attributes: options.attributes } : {}), links }, parent);
  return { span, context: trace.setSpan(parent, span), sources };
}

/** Ends a span with an error status and the exception recorded. */
export function endWithError(span: Span, err: unknown): void {
  span.recordException(err instanceof Error ? err : String(err));
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
  span.end();
}

/** Runs `body` inside span `name` (a child of the active context), ending it either way. */
export async function inSpan<T>(tracer: Tracer, name: string, options: { kind: SpanKind; attributes?: Attributes }, body: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, options, async (span) => {
    try {
      const result = await body(span);
      span.end();
      return result;
    } catch (err) {
      endWithError(span, err);
      throw err;
    }
  });
}
