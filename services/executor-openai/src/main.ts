// Process entry point: the only place that reads the environment and the config file.
//   SWITCHYARD_CONFIG_FILE  JSON file: the shared switchyard configuration plus an
//                           "executorOpenai" section (see config.ts); SWITCHYARD_* variables
//                           override the shared part (see docs/configuration.md). API keys are
//                           read from the files or variables the section names.
//   OTEL_*                  traces: off unless OTEL_TRACES_EXPORTER or an OTLP endpoint is
//                           set (README, "Traces")
// SIGTERM / SIGINT stop gracefully: in-flight batches commit or abort, consumers leave their
// groups. Exit code 0 after a clean stop, 1 otherwise.
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { loadConfig, redact } from '@switchyard/config';
import { readConfigFile, runMain, runUntilStopped } from '@switchyard/ops';
import { startTelemetry, telemetryConfigFromEnv } from '@switchyard/telemetry';
import { compileExecutorOpenaiConfig, parseExecutorOpenaiConfig, redactedEndpoints } from './config.ts';
import { startExecutorOpenai } from './executor.ts';

runMain(async () => {
  const env = process.env;
  const { shared, section } = await readConfigFile(env.SWITCHYARD_CONFIG_FILE, 'executorOpenai');
  const config = compileExecutorOpenaiConfig(loadConfig(env, shared), parseExecutorOpenaiConfig(section), { env, readFile: (p) => readFileSync(p, 'utf8') });
  const log = pino({ level: config.switchyard.log.level, base: { service: 'executor-openai' } });
  log.info({ config: redact(config.switchyard), endpoints: redactedEndpoints(config.endpoints) }, 'configuration loaded');
  const telemetry = startTelemetry(telemetryConfigFromEnv(env, 'switchyard-executor-openai'));
  try {
    const service = await startExecutorOpenai(config, { logger: log });
    return await runUntilStopped(service, log, { name: 'executor-openai', health: service.health });
  } finally {
    // Exports the spans still buffered; bounded by the exporter's timeout.
    await telemetry.shutdown();
  }
});
