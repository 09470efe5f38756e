// The submit span: one per job, and the context every request record of the job carries in its
// headers. One span and one header value per job, not per request: a million-line job costs
// one span, and every request's trace (router, executor, recorder) starts at the job.
import { SpanKind, context, endWithError, injectTraceHeaders, trace, tracingEnabled } from '@switchyard/telemetry';
import type { OutgoingHeaders } from '@switchyard/telemetry';

export interface SubmitTrace {
  /** Headers for every request record of the job; undefined when tracing is off. */
  readonly headers: OutgoingHeaders | undefined;
  end(result: { readonly linesRead: number; readonly produced: number; readonly bad: number }): void;
  fail(err: unknown): void;
}

const NONE: SubmitTrace = { headers: undefined, end: () => undefined, fail: () => undefined };

export function startSubmitTrace(jobId: string, tenant: string, topic: string): SubmitTrace {
  if (!tracingEnabled()) return NONE;
  const span = trace.getTracer('switchyard.cli').startSpan('switchyard.submit', {
    kind: SpanKind.PRODUCER,
    attributes: { 'switchyard.job_id': jobId, 'switchyard.tenant': tenant, 'messaging.system': 'kafka', 'messaging.destination.name': topic },
  });
  const headers = injectTraceHeaders(trace.setSpan(context.active(), span));
  return {
    headers,
    end: (r) => {
      span.setAttributes({ 'switchyard.lines_read': r.linesRead, 'switchyard.requests_produced': r.produced, 'switchyard.lines_bad': r.bad });
      span.end();
    },
    fail: (err) => endWithError(span, err),
  };
}
