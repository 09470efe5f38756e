// W3C trace context (https://www.w3.org/TR/trace-context/) in Kafka record headers: the
// `traceparent` and `tracestate` headers written and read by the SDK's W3C propagator through a
// getter/setter for kafkajs' header shape (values are Buffers when read, strings or Buffers
// when written, an array when a key repeats). A record that batches other records' work (a
// routed batch) also names their contexts in `switchyard-trace-links`, so the consumer can
// link its span to each of them.
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import type { Context, Link, SpanContext, TextMapGetter, TextMapSetter } from '@opentelemetry/api';
import { W3CTraceContextPropagator, parseTraceParent } from '@opentelemetry/core';

export const TRACEPARENT_HEADER = 'traceparent';
export const TRACESTATE_HEADER = 'tracestate';
/** Comma-separated traceparent values of the records a record stands for (at most MAX_LINKS). */
export const TRACE_LINKS_HEADER = 'switchyard-trace-links';
/** Links kept per span and per record; the SDK's default span link limit is 128. */
export const MAX_LINKS = 64;

type HeaderValue = Buffer | string;
/** kafkajs' IHeaders, read-only. */
export type KafkaHeaders = Readonly<Record<string, HeaderValue | readonly HeaderValue[] | undefined>>;
/** Headers being built for an outgoing record. */
export type OutgoingHeaders = Record<string, HeaderValue>;

const propagator = new W3CTraceContextPropagator();

const getter: TextMapGetter<KafkaHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const raw = carrier[key];
    const v = Array.isArray(raw) ? (raw as readonly HeaderValue[])[0] : (raw as HeaderValue | undefined);
    return v === undefined ? undefined : typeof v === 'string' ? v : v.toString('utf8');
  },
};

const setter: TextMapSetter<OutgoingHeaders> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

/** The context a record's headers carry: ROOT_CONTEXT with the remote span, if any. */
export function extractTraceContext(headers: KafkaHeaders | undefined): Context {
  if (headers === undefined) return ROOT_CONTEXT;
  return propagator.extract(ROOT_CONTEXT, headers, getter);
}

/** The remote span context a record's headers carry, if valid. */
export function spanContextOfHeaders(headers: KafkaHeaders | undefined): SpanContext | undefined {
  return trace.getSpanContext(extractTraceContext(headers));
}

/** Writes the span of `ctx` as traceparent (and tracestate) into `headers`; nothing when it has no valid span. */
export function injectTraceHeaders(ctx: Context, headers: OutgoingHeaders = {}): OutgoingHeaders {
  propagator.inject(ctx, headers, setter);
  return headers;
}

/** `00-<trace id>-<span id>-<flags>`, the traceparent form of a span context. */
export function traceparentOf(sc: SpanContext): string {
  return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** Span contexts of the traceparents a links header names (invalid entries are skipped). */
export function linksOfHeaders(headers: KafkaHeaders | undefined): Link[] {
  const text = headers === undefined ? undefined : getter.get(headers, TRACE_LINKS_HEADER);
  if (typeof text !== 'string' || text === '') return [];
  const links: Link[] = [];
  for (const tp of text.split(',')) {
    const sc = parseTraceParent(tp.trim());
    if (sc !== null) links.push({ context: { ...sc, isRemote: true } });
    if (links.length >= MAX_LINKS) break;
  }
  return links;
}

/** The links header value for these span contexts (the first MAX_LINKS). */
export function linksHeaderValue(contexts: readonly SpanContext[]): string {
  return contexts.slice(0, MAX_LINKS).map(traceparentOf).join(',');
}
