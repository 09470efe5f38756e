import { describe, expect, it } from 'vitest';
import { ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import {
  MAX_LINKS,
  TRACEPARENT_HEADER,
  TRACESTATE_HEADER,
  TRACE_LINKS_HEADER,
  extractTraceContext,
  injectTraceHeaders,
  linksHeaderValue,
  linksOfHeaders,
  spanContextOfHeaders,
  traceparentOf,
} from '../src/index.ts';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SPAN = 'b7ad6b7169203331';
const sc = { traceId: TRACE, spanId: SPAN, traceFlags: TraceFlags.SAMPLED, isRemote: false };

describe('trace context in Kafka headers', () => {
  it('writes traceparent and tracestate for a valid span and nothing without one', () => {
    const ctx = trace.setSpanContext(ROOT_CONTEXT, sc);
    expect(injectTraceHeaders(ctx)).toEqual({ [TRACEPARENT_HEADER]: `00-${TRACE}-${SPAN}-01` });
    expect(injectTraceHeaders(ROOT_CONTEXT)).toEqual({});
    const withState = trace.setSpanContext(ROOT_CONTEXT, { ...sc, traceState: spanContextOfHeaders({ [TRACEPARENT_HEADER]: `00-${TRACE}-${SPAN}-01`, [TRACESTATE_HEADER]: 'vendor=x' })!.traceState! });
    expect(injectTraceHeaders(withState)[TRACESTATE_HEADER]).toBe('vendor=x');
  });

  it('reads the context back from headers as kafkajs delivers them (Buffers, repeated keys)', () => {
    const written = injectTraceHeaders(trace.setSpanContext(ROOT_CONTEXT, sc));
    const asRead = { [TRACEPARENT_HEADER]: Buffer.from(String(written[TRACEPARENT_HEADER])), other: Buffer.from('x') };
    expect(spanContextOfHeaders(asRead)).toEqual({ ...sc, isRemote: true });
    const repeated = { [TRACEPARENT_HEADER]: [Buffer.from(`00-${TRACE}-${SPAN}-00`), Buffer.from('garbage')] };
    expect(spanContextOfHeaders(repeated)).toMatchObject({ traceId: TRACE, spanId: SPAN, traceFlags: TraceFlags.NONE });
  });

  it('ignores absent and malformed traceparents', () => {
    expect(spanContextOfHeaders(undefined)).toBeUndefined();
    expect(spanContextOfHeaders({})).toBeUndefined();
    expect(spanContextOfHeaders({ [TRACEPARENT_HEADER]: Buffer.from('00-nothex-b7ad6b7169203331-01') })).toBeUndefined();
    expect(spanContextOfHeaders({ [TRACEPARENT_HEADER]: `00-${'0'.repeat(32)}-${SPAN}-01` })).toBeUndefined();
    expect(extractTraceContext(undefined)).toBe(ROOT_CONTEXT);
  });

  it('carries the contexts a record stands for as links, bounded', () => {
    const many = Array.from({ length: MAX_LINKS + 5 }, (_, i) => ({ ...sc, spanId: (i + 1).toString(16).padStart(16, '0') }));
    const value = linksHeaderValue(many);
    expect(value.split(',')).toHaveLength(MAX_LINKS);
    const links = linksOfHeaders({ [TRACE_LINKS_HEADER]: Buffer.from(`${value},not-a-traceparent`) });
    expect(links).toHaveLength(MAX_LINKS);
    expect(links[0]!.context).toEqual({ ...many[0], isRemote: true });
    expect(linksOfHeaders({ [TRACE_LINKS_HEADER]: `bad,${traceparentOf(sc)}` }).map((l) => l.context.spanId)).toEqual([SPAN]);
    expect(linksOfHeaders({})).toEqual([]);
  });
});
