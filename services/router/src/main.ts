// Process entry point: the only place that reads the environment and the config file.
//   SWITCHYARD_CONFIG_FILE  JSON file: the shared switchyard configuration plus a
//                           "routerService" section (see config.ts); SWITCHYARD_* variables
//                           override the shared part (see docs/configuration.md)
//   OTEL_*                  traces: off unless OTEL_TRACES_EXPORTER or an OTLP endpoint is
//                           set (README, "Traces")
//   ROUTER_HTTP_PORT        overrides routerService.httpPort
// SIGTERM / SIGINT stop gracefully: in-flight slices are committed or aborted, then the
// consumer leaves its group and everything closes. Exit code 0 after a clean stop, 1 otherwise.
import { pino } from 'pino';
import { loadConfig, redact } from '@switchyard/config';
import { readConfigFile, runMain, runUntilStopped } from '@switchyard/ops';
import { startTelemetry, telemetryConfigFromEnv } from '@switchyard/telemetry';
import { compileRouterConfig, parseRouterServiceConfig } from '@switchyard/routing-engine';
import { startRouter } from './router.ts';

runMain(async () => {
  const env = process.env;
  const { shared, section } = await readConfigFile(env.SWITCHYARD_CONFIG_FILE, 'routerService');
  const serviceInput = { ...(section as Record<string, unknown> | undefined) };
  if (env.ROUTER_HTTP_PORT !== undefined) serviceInput.httpPort = Number(env.ROUTER_HTTP_PORT);
  const config = compileRouterConfig(loadConfig(env, shared), parseRouterServiceConfig(serviceInput));
  const log = pino({ level: config.switchyard.log.level, base: { service: 'router', instance: config.switchyard.router.instanceId } });
  log.info({ config: redact(config.switchyard), service: redact(config.service) }, 'configuration loaded');
  const telemetry = startTelemetry(telemetryConfigFromEnv(env, 'switchyard-router'));
  try {
    const router = await startRouter(config, { logger: log });
    return await runUntilStopped(router, log, { name: 'router', shutdownTimeoutMs: config.service.shutdownTimeoutMs, health: router.health });
  } finally {
    // Exports the spans still buffered; bounded by the exporter's timeout.
    await telemetry.shutdown();
  }
});
