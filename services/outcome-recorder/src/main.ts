// Process entry point: the only place that reads the environment and the config file.
//   SWITCHYARD_CONFIG_FILE  JSON file: the shared switchyard configuration plus an
//                           "outcomeRecorder" section (see config.ts); SWITCHYARD_* variables
//                           override the shared part (see docs/configuration.md)
// SIGTERM / SIGINT stop gracefully: in-flight batches commit or abort, consumers leave their
// groups. Exit code 0 after a clean stop, 1 otherwise.
import { readFile } from 'node:fs/promises';
import { pino } from 'pino';
import { loadConfig, redact } from '@switchyard/config';
import { compileOutcomeRecorderConfig, parseOutcomeRecorderConfig } from './config.ts';
import { startOutcomeRecorder } from './recorder.ts';

async function main(): Promise<number> {
  const env = process.env;
  const path = env.SWITCHYARD_CONFIG_FILE;
  const file = path === undefined ? {} : (JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>);
  const { outcomeRecorder, ...shared } = file;
  const config = compileOutcomeRecorderConfig(loadConfig(env, shared), parseOutcomeRecorderConfig(outcomeRecorder));
  const log = pino({ level: config.switchyard.log.level, base: { service: 'outcome-recorder' } });
  log.info({ config: redact(config.switchyard), service: config.service }, 'configuration loaded');
  const recorder = await startOutcomeRecorder(config, { logger: log });
  const stopOn = (signal: NodeJS.Signals): void => {
    log.info({ signal }, 'shutdown requested');
    recorder.stop().catch((err: unknown) => log.error({ err }, 'shutdown failed'));
  };
  process.once('SIGTERM', stopOn);
  process.once('SIGINT', stopOn);
  try {
    await recorder.done;
    return 0;
  } catch (err) {
    log.error({ err }, 'outcome-recorder stopped on a fatal error');
    return 1;
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
