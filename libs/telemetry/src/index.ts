export { TELEMETRY_OFF, telemetryConfigFromEnv } from './config.ts';
export type { Env, SamplerName, TelemetryConfig, TracesExporter } from './config.ts';
export { TelemetryError } from './errors.ts';
export type { TelemetryErrorCode } from './errors.ts';
export { startInMemoryTelemetry, startTelemetry, tracingEnabled } from './sdk.ts';
export type { InMemoryTelemetry, TelemetryHandle } from './sdk.ts';
export {
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
} from './propagation.ts';
export type { KafkaHeaders, OutgoingHeaders } from './propagation.ts';
export { distinctContexts, endWithError, inSpan, startBatchSpan } from './spans.ts';
export type { BatchSpan, BatchSpanOptions } from './spans.ts';
// The API pieces the services use, so OpenTelemetry is a dependency of this library only.
export { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
export type { Attributes, Context, Link, Span, SpanContext, Tracer } from '@opentelemetry/api';
