// Process entry point: the only place that reads the environment and the config file.
//   SWITCHYARD_CONFIG_FILE  JSON file: the shared switchyard configuration plus an
//                           "outcomeRecorder" section (see config.ts); SWITCHYARD_* variables
//                           override the shared part (see docs/configuration.md)
//   OTEL_*                  traces: off unless OTEL_TRACES_EXPORTER or an OTLP endpoint is
//                           set (README, "Traces")
// SIGTERM / SIGINT stop gracefully: in-flight batches commit or abort, consumers leave their
// groups. Exit code 0 after a clean stop, 1 otherwise.
import { pino } from 'pino';
import { loadConfig, redact } from '@switchyard/config';
import { readConfigFile, runMain, runUntilStopped } from '@switchyard/ops';
import { startTelemetry, telemetryConfigFromEnv } from '@switchyard/telemetry';
import { compileOutcomeRecorderConfig, parseOutcomeRecorderConfig } from './config.ts';
import { startOutcomeRecorder } from './recorder.ts';

runMain(async () => {
  const env = process.env;
  const { shared, section } = await readConfigFile(env.SWITCHYARD_CONFIG_FILE, 'outcomeRecorder');
  const config = compileOutcomeRecorderConfig(loadConfig(env, shared), parseOutcomeRecorderConfig(section));
  const log = pino({ level: config.switchyard.log.level, base: { service: 'outcome-recorder' } });
  log.info({ config: redact(config.switchyard), service: redact(config.service) }, 'configuration loaded');
  const telemetry = startTelemetry(telemetryConfigFromEnv(env, 'switchyard-outcome-recorder'));
  try {
    const recorder = await startOutcomeRecorder(config, { logger: log });
    return await runUntilStopped(recorder, log, { name: 'outcome-recorder', health: recorder.health });
  } finally {
    // Exports the spans still buffered; bounded by the exporter's timeout.
    await telemetry.shutdown();
  }
});
