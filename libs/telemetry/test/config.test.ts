import { describe, expect, it } from 'vitest';
import { TelemetryError, startTelemetry, telemetryConfigFromEnv, tracingEnabled } from '../src/index.ts';

describe('telemetryConfigFromEnv', () => {
  it('is off by default and with the SDK or the exporter disabled', () => {
    expect(telemetryConfigFromEnv({}, 'svc').enabled).toBe(false);
    expect(telemetryConfigFromEnv({ OTEL_SERVICE_NAME: 'x' }, 'svc').enabled).toBe(false);
    expect(telemetryConfigFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' }, 'svc').enabled).toBe(false);
    expect(telemetryConfigFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' }, 'svc').enabled).toBe(false);
    const handle = startTelemetry(telemetryConfigFromEnv({}, 'svc'));
    expect(handle.enabled).toBe(false);
    expect(tracingEnabled()).toBe(false);
  });

  it('allows one provider per process, and none after it is shut down', async () => {
    const first = startTelemetry(telemetryConfigFromEnv({ OTEL_TRACES_EXPORTER: 'console' }, 'svc'));
    expect(tracingEnabled()).toBe(true);
    expect(() => startTelemetry(telemetryConfigFromEnv({ OTEL_TRACES_EXPORTER: 'console' }, 'svc'))).toThrow(TelemetryError);
    await first.shutdown();
    expect(tracingEnabled()).toBe(false);
  });

  it('turns on with an endpoint or an exporter, and reads the standard variables', () => {
    const c = telemetryConfigFromEnv(
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
        OTEL_SERVICE_NAME: 'router-eu',
        OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20t, x-team=ml',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod',
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.25',
      },
      'svc',
    );
    expect(c).toMatchObject({
      enabled: true,
      serviceName: 'router-eu',
      exporter: 'otlp',
      tracesEndpoint: 'http://collector:4318/v1/traces',
      headers: { authorization: 'Bearer t', 'x-team': 'ml' },
      resourceAttributes: { 'deployment.environment': 'prod' },
      sampler: 'parentbased_traceidratio',
      samplerRatio: 0.25,
    });
    expect(telemetryConfigFromEnv({ OTEL_TRACES_EXPORTER: 'otlp' }, 'svc')).toMatchObject({ enabled: true, serviceName: 'svc', tracesEndpoint: 'http://localhost:4318/v1/traces' });
    expect(telemetryConfigFromEnv({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t:1/custom' }, 'svc').tracesEndpoint).toBe('http://t:1/custom');
  });

  it('names the variable it cannot understand', () => {
    expect(() => telemetryConfigFromEnv({ OTEL_TRACES_EXPORTER: 'zipkin' }, 's')).toThrow(/OTEL_TRACES_EXPORTER/);
    expect(() => telemetryConfigFromEnv({ OTEL_TRACES_SAMPLER_ARG: '2' }, 's')).toThrow(/OTEL_TRACES_SAMPLER_ARG/);
    expect(() => telemetryConfigFromEnv({ OTEL_TRACES_SAMPLER: 'sometimes' }, 's')).toThrow(TelemetryError);
    expect(() => telemetryConfigFromEnv({ OTEL_RESOURCE_ATTRIBUTES: 'novalue' }, 's')).toThrow(/OTEL_RESOURCE_ATTRIBUTES/);
    expect(() => telemetryConfigFromEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 's')).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL/);
    expect(telemetryConfigFromEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_TRACES_EXPORTER: 'otlp' }, 's').enabled).toBe(true);
  });
});
