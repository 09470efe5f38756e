// Tracing configuration from the standard OpenTelemetry variables
// (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/), read
// from an environment record a service's main.ts passes in. Unlike the SDK's own default
// (OTEL_TRACES_EXPORTER=otlp), tracing here is off unless asked for: a router that handles a
// million requests should not try to reach a collector nobody runs.
import { TelemetryError } from './errors.ts';

export type TracesExporter = 'otlp' | 'console';
export type SamplerName = 'always_on' | 'always_off' | 'traceidratio' | 'parentbased_always_on' | 'parentbased_always_off' | 'parentbased_traceidratio';

export interface TelemetryConfig {
  /** False: no provider is registered and every tracer is the API's no-op one. */
  readonly enabled: boolean;
  readonly serviceName: string;
  readonly exporter: TracesExporter;
  /** Full URL spans are POSTed to (OTLP/HTTP, JSON encoding). */
  readonly tracesEndpoint: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly sampler: SamplerName;
  /** Ratio of the *traceidratio samplers, 0..1. */
  readonly samplerRatio: number;
  readonly resourceAttributes: Readonly<Record<string, string>>;
}

export type Env = Readonly<Record<string, string | undefined>>;

const DEFAULT_ENDPOINT = 'http://localhost:4318';
const SAMPLERS: readonly SamplerName[] = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'];

export const TELEMETRY_OFF: TelemetryConfig = Object.freeze({
  enabled: false,
  serviceName: 'switchyard',
  exporter: 'otlp',
  tracesEndpoint: `${DEFAULT_ENDPOINT}/v1/traces`,
  headers: {},
  sampler: 'parentbased_always_on',
  samplerRatio: 1,
  resourceAttributes: {},
});

/**
 * On when OTEL_TRACES_EXPORTER names an exporter (otlp, console) or an OTLP endpoint is set;
 * OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none keeps it off whatever else is set.
 */
export function telemetryConfigFromEnv(env: Env, defaultServiceName: string): TelemetryConfig {
  const exporterVar = env.OTEL_TRACES_EXPORTER?.trim().toLowerCase();
  const tracesEndpoint = nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  const baseEndpoint = nonEmpty(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  const disabled = env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true' || exporterVar === 'none';
  if (exporterVar !== undefined && exporterVar !== '' && !['otlp', 'console', 'none'].includes(exporterVar)) {
    throw new TelemetryError('invalid_config', `OTEL_TRACES_EXPORTER: ${exporterVar} is not supported (otlp, console, none)`);
  }
  const protocol = nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL)?.toLowerCase();
  if (protocol !== undefined && protocol !== 'http/json') {
    throw new TelemetryError('invalid_config', `OTEL_EXPORTER_OTLP_PROTOCOL: ${protocol} is not supported; spans are sent as http/json (every OTLP/HTTP receiver accepts it)`);
  }
  const asked = (exporterVar !== undefined && exporterVar !== '') || tracesEndpoint !== undefined || baseEndpoint !== undefined;
  const sampler = (nonEmpty(env.OTEL_TRACES_SAMPLER)?.toLowerCase() ?? 'parentbased_always_on') as SamplerName;
  if (!SAMPLERS.includes(sampler)) throw new TelemetryError('invalid_config', `OTEL_TRACES_SAMPLER: ${sampler} is not supported (${SAMPLERS.join(', ')})`);
  const ratioText = nonEmpty(env.OTEL_TRACES_SAMPLER_ARG);
  const samplerRatio = ratioText === undefined ? 1 : Number(ratioText);
  if (!(samplerRatio >= 0 && samplerRatio <= 1)) throw new TelemetryError('invalid_config', `OTEL_TRACES_SAMPLER_ARG: ${ratioText} is not a ratio between 0 and 1`);
  return Object.freeze({
    enabled: asked && !disabled,
    serviceName: nonEmpty(env.OTEL_SERVICE_NAME) ?? defaultServiceName,
    exporter: exporterVar === 'console' ? 'console' : 'otlp',
    tracesEndpoint: tracesEndpoint ?? `${(baseEndpoint ?? DEFAULT_ENDPOINT).replace(/\/+$/, '')}/v1/traces`,
    headers: Object.freeze(keyValues(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS ?? env.OTEL_EXPORTER_OTLP_HEADERS, 'OTEL_EXPORTER_OTLP_HEADERS')),
    sampler,
    samplerRatio,
    resourceAttributes: Object.freeze(keyValues(env.OTEL_RESOURCE_ATTRIBUTES, 'OTEL_RESOURCE_ATTRIBUTES')),
  });
}

function nonEmpty(v: string | undefined): string | undefined {
  const t = v?.trim();
  return t === undefined || t === '' ? undefined : t;
}

/** `k1=v1,k2=v2` with percent-encoded values (the W3C baggage format the spec uses). */
function keyValues(text: string | undefined, name: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (text ?? '').split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new TelemetryError('invalid_config', `${name}: "${part.trim()}" is not key=value`);
    out[part.slice(0, eq).trim()] = decodeURIComponent(part.slice(eq + 1).trim());
  }
  return out;
}
