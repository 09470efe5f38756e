// Starts the OpenTelemetry SDK for one process when the configuration asks for it: a Node
// tracer provider (AsyncLocalStorage context) with a batching OTLP/HTTP exporter, registered as
// the global provider with the W3C trace-context propagator. When off nothing is registered:
// every tracer is the API's no-op one and tracingEnabled() is false, which is what the hot
// paths check before doing any per-record tracing work.
import { context, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOffSampler, AlwaysOnSampler, BatchSpanProcessor, ConsoleSpanExporter, InMemorySpanExporter, NodeTracerProvider, ParentBasedSampler, SimpleSpanProcessor, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-node';
import type { ReadableSpan, Sampler, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { TELEMETRY_OFF } from './config.ts';
import { TelemetryError } from './errors.ts';
import type { TelemetryConfig } from './config.ts';

export interface TelemetryHandle {
  readonly enabled: boolean;
  /** Exports the spans ended so far. */
  flush(): Promise<void>;
  /** Exports what is left and unregisters the provider (tracing is off again). Idempotent. */
  shutdown(): Promise<void>;
}

let active: NodeTracerProvider | null = null;

/** True while a provider started by startTelemetry is registered. */
export function tracingEnabled(): boolean {
  return active !== null;
}

const OFF: TelemetryHandle = { enabled: false, flush: async () => undefined, shutdown: async () => undefined };

export function startTelemetry(config: TelemetryConfig): TelemetryHandle {
  if (!config.enabled) return OFF;
  return register(config, new BatchSpanProcessor(exporterOf(config)));
}

export interface InMemoryTelemetry extends TelemetryHandle {
  /** The spans ended so far. */
  spans(): readonly ReadableSpan[];
}

/** Tracing on with every ended span kept in memory (for unit tests of the services' spans). */
export function startInMemoryTelemetry(): InMemoryTelemetry {
  const exporter = new InMemorySpanExporter();
  const handle = register({ ...TELEMETRY_OFF, enabled: true, serviceName: 'in-memory' }, new SimpleSpanProcessor(exporter));
  return { ...handle, spans: () => exporter.getFinishedSpans() };
}

function register(config: TelemetryConfig, processor: SpanProcessor): TelemetryHandle {
  if (active !== null) throw new TelemetryError('already_started', 'telemetry is already started in this process');
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ ...config.resourceAttributes, [ATTR_SERVICE_NAME]: config.serviceName }),
    sampler: samplerOf(config),
    spanProcessors: [processor],
  });
  provider.register({ propagator: new W3CTraceContextPropagator() });
  active = provider;
  let closing: Promise<void> | null = null;
  return {
    enabled: true,
    flush: () => provider.forceFlush(),
    shutdown: () => {
      closing ??= (async () => {
        try {
          await provider.shutdown();
        } finally {
          trace.disable();
          context.disable();
          propagation.disable();
          if (active === provider) active = null;
        }
      })();
      return closing;
    },
  };
}

function exporterOf(config: TelemetryConfig): SpanExporter {
  if (config.exporter === 'console') return new ConsoleSpanExporter();
  return new OTLPTraceExporter({ url: config.tracesEndpoint, headers: { ...config.headers } });
}

function samplerOf(config: TelemetryConfig): Sampler {
  const ratio = new TraceIdRatioBasedSampler(config.samplerRatio);
  switch (config.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio;
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio });
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}
