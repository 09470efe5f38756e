import { afterEach, describe, expect, it } from 'vitest';
import type { KafkaMessage } from 'kafkajs';
import { KafkaIoError } from '@switchyard/kafka-io';
import type { RoutingDecision, SliceResult } from '@switchyard/routing-engine';
import { SpanStatusCode, TRACE_LINKS_HEADER, TRACEPARENT_HEADER, linksOfHeaders, spanContextOfHeaders, startInMemoryTelemetry } from '@switchyard/telemetry';
import type { InMemoryTelemetry, KafkaHeaders } from '@switchyard/telemetry';
import { kafkaBatchHandler } from '../src/kafka-slices.ts';
import { createRouterMetrics } from '../src/metrics.ts';
import { SliceTracer } from '../src/slice-tracing.ts';

const JOB_A = '00-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-a000000000000001-01';
const JOB_B = '00-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-b000000000000001-01';

/** Records 0..2 of job A, 3 of job B; batch x holds 0 and 1, batch y holds 3; 2 is deferred. */
function fixture(): { messages: KafkaMessage[]; result: SliceResult } {
  const tps = [JOB_A, JOB_A, JOB_A, JOB_B];
  const messages = tps.map((tp, i) => ({ key: Buffer.from(`r${i}`), value: Buffer.from('v'), timestamp: '0', attributes: 0, offset: String(10 + i), headers: { [TRACEPARENT_HEADER]: Buffer.from(tp) } }) as KafkaMessage);
  const d = (i: number, outcome: string, batchId: string | null) => ({ requestId: `r${i}`, outcome, batchId, sourceOffset: String(10 + i) }) as unknown as RoutingDecision;
  const result: SliceResult = {
    messages: [
      { topic: 'routed.a', key: 'x', value: Buffer.from('batch x') },
      { topic: 'routed.b', key: 'y', value: Buffer.from('batch y') },
      { topic: 'def', key: 'r2', value: Buffer.from('deferred') },
    ],
    decisions: [d(0, 'routed', 'x'), d(1, 'routed', 'x'), d(2, 'deferred', null), d(3, 'routed', 'y')],
    processed: 4,
    pauseUntilMs: null,
    stats: { consumed: 4, routedByModel: new Map(), deferred: 1, allModelsFailed: 0, deadLetters: new Map(), batches: [], scoringMs: [] },
  };
  return { messages, result };
}

function handlerWith(tracer: SliceTracer, result: SliceResult) {
  const metrics = createRouterMetrics({ queueDepth: () => 0, budgetUsage: () => [] }, false);
  return kafkaBatchHandler(async () => result, metrics, { deferredPollMs: 10, clock: () => 0, tracer });
}

const spanIdOf = (tp: string) => tp.split('-')[2];

describe('router slice tracing', () => {
  let telemetry: InMemoryTelemetry | undefined;
  afterEach(async () => {
    await telemetry?.shutdown();
    telemetry = undefined;
  });

  it('adds no headers and no spans when tracing is off', async () => {
    const { messages, result } = fixture();
    const out = await handlerWith(new SliceTracer(), result)({ topic: 'req', partition: 0, messages, signal: new AbortController().signal });
    expect(out.records.map((r) => r.headers)).toEqual([undefined, undefined, undefined]);
  });

  it('routes under the first job, links the other, and hands each batch its own context and its requests', async () => {
    telemetry = startInMemoryTelemetry();
    const { messages, result } = fixture();
    const tracer = new SliceTracer();
    const out = await handlerWith(tracer, result)({ topic: 'req', partition: 3, messages, signal: new AbortController().signal });
    const route = telemetry.spans().find((s) => s.name === 'switchyard.route')!;
    expect(route.spanContext().traceId).toBe('a'.repeat(32));
    expect(route.parentSpanContext?.spanId).toBe(spanIdOf(JOB_A));
    expect(route.links.map((l) => l.context.spanId)).toEqual([spanIdOf(JOB_B)]);

    const [x, y, deferred] = out.records.map((r) => r.headers as KafkaHeaders);
    // The publish spans are open until the transaction commits.
    expect(telemetry.spans().filter((s) => s.name === 'switchyard.publish')).toEqual([]);
    const xCtx = spanContextOfHeaders(x)!;
    const yCtx = spanContextOfHeaders(y)!;
    expect(xCtx.traceId).toBe(route.spanContext().traceId);
    expect(new Set([xCtx.spanId, yCtx.spanId, route.spanContext().spanId]).size).toBe(3);
    expect(linksOfHeaders(x).map((l) => l.context.spanId)).toEqual([spanIdOf(JOB_A)]);
    expect(linksOfHeaders(y).map((l) => l.context.spanId)).toEqual([spanIdOf(JOB_B)]);
    // A deferred request goes on in the slice's trace; it names no links.
    expect(spanContextOfHeaders(deferred)?.spanId).toBe(route.spanContext().spanId);
    expect(deferred?.[TRACE_LINKS_HEADER]).toBeUndefined();

    tracer.onEvent({ type: 'committed', topic: 'req', partition: 3, committedOffset: '14', inputs: 4, outputs: 3 });
    const publishes = telemetry.spans().filter((s) => s.name === 'switchyard.publish');
    expect(publishes.map((s) => s.spanContext().spanId).sort()).toEqual([xCtx.spanId, yCtx.spanId].sort());
    for (const p of publishes) {
      expect(p.parentSpanContext?.spanId).toBe(route.spanContext().spanId);
      expect(p.status.code).toBe(SpanStatusCode.UNSET);
    }
  });

  it('ends the publish spans with an error when the transaction aborts', async () => {
    telemetry = startInMemoryTelemetry();
    const { messages, result } = fixture();
    const tracer = new SliceTracer();
    await handlerWith(tracer, result)({ topic: 'req', partition: 0, messages, signal: new AbortController().signal });
    tracer.onEvent({ type: 'committed', topic: 'req', partition: 1, committedOffset: '1', inputs: 1, outputs: 0 });
    expect(telemetry.spans().filter((s) => s.name === 'switchyard.publish')).toEqual([]);
    tracer.onEvent({ type: 'aborted', topic: 'req', partition: 0, firstOffset: '10', attempt: 1, error: new KafkaIoError('handler_failed', 'boom') });
    const publishes = telemetry.spans().filter((s) => s.name === 'switchyard.publish');
    expect(publishes).toHaveLength(2);
    for (const p of publishes) expect(p.status.code).toBe(SpanStatusCode.ERROR);
  });
});
