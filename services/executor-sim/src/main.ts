// Process entry point: the only place that reads the environment and the config file.
//   SWITCHYARD_CONFIG_FILE  JSON file: the shared switchyard configuration plus an
//                           "executorSim" section (see config.ts); SWITCHYARD_* variables
//                           override the shared part (see docs/configuration.md)
//   OTEL_*                  traces: off unless OTEL_TRACES_EXPORTER or an OTLP endpoint is
//                           set (README, "Traces")
// SIGTERM / SIGINT stop gracefully: in-flight batches commit or abort, consumers leave their
// groups. Exit code 0 after a clean stop, 1 otherwise.
import { pino } from 'pino';
import { loadConfig, redact } from '@switchyard/config';
import { readConfigFile, runMain, runUntilStopped } from '@switchyard/ops';
import { startTelemetry, telemetryConfigFromEnv } from '@switchyard/telemetry';
import { compileExecutorSimConfig, parseExecutorSimConfig } from './config.ts';
import { startExecutorSim } from './service.ts';

runMain(async () => {
  const env = process.env;
  const { shared, section } = await readConfigFile(env.SWITCHYARD_CONFIG_FILE, 'executorSim');
  const config = compileExecutorSimConfig(loadConfig(env, shared), parseExecutorSimConfig(section));
  const log = pino({ level: config.switchyard.log.level, base: { service: 'executor-sim' } });
  log.info({ config: redact(config.switchyard), service: redact(config.service) }, 'configuration loaded');
  const telemetry = startTelemetry(telemetryConfigFromEnv(env, 'switchyard-executor-sim'));
  try {
    const service = await startExecutorSim(config, { logger: log });
    return await runUntilStopped(service, log, { name: 'executor-sim', health: service.health });
  } finally {
    // Exports the spans still buffered; bounded by the exporter's timeout.
    await telemetry.shutdown();
  }
});
