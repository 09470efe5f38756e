// The execution span of a routed batch, when tracing is on: a child of the batch record's
// `traceparent` (the router's publish span) and linked to the contexts of its requests
// (`switchyard-trace-links`). The executor's own spans (one per model call) are its children,
// and the batch's outcome records carry it, so the recorder continues the same trace.
import type { IHeaders } from 'kafkajs';
import type { RoutedBatchV2 } from '@switchyard/contracts';
import { SpanKind, linksOfHeaders, startBatchSpan, trace, tracingEnabled } from '@switchyard/telemetry';
import type { BatchSpan } from '@switchyard/telemetry';

/** Null when tracing is off. */
export function startExecuteSpan(headers: IHeaders | undefined, batch: RoutedBatchV2, at: { readonly topic: string; readonly partition: number; readonly offset: string }): BatchSpan | null {
  if (!tracingEnabled()) return null;
  return startBatchSpan(trace.getTracer('switchyard.executor'), 'switchyard.execute', [headers], {
    kind: SpanKind.CONSUMER,
    links: linksOfHeaders(headers),
    attributes: {
      'messaging.system': 'kafka',
      'messaging.destination.name': at.topic,
      'messaging.destination.partition.id': String(at.partition),
      'messaging.kafka.offset': Number(at.offset),
      'switchyard.batch_id': batch.batchId,
      'switchyard.model': batch.model,
      'messaging.batch.message_count': batch.requests.length,
    },
  });
}
