// Process entry point: the only place that reads the environment and the config file.
//   SWITCHYARD_CONFIG_FILE  JSON file: the shared switchyard configuration plus an
//                           "executorSim" section (see config.ts); SWITCHYARD_* variables
//                           override the shared part (see docs/configuration.md)
// SIGTERM / SIGINT stop gracefully: in-flight batches commit or abort, consumers leave their
// groups. Exit code 0 after a clean stop, 1 otherwise.
import { readFile } from 'node:fs/promises';
import { pino } from 'pino';
import { loadConfig, redact } from '@switchyard/config';
import { compileExecutorSimConfig, parseExecutorSimConfig } from './config.ts';
import { startExecutorSim } from './sim.ts';

async function main(): Promise<number> {
  const env = process.env;
  const path = env.SWITCHYARD_CONFIG_FILE;
  const file = path === undefined ? {} : (JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>);
  const { executorSim, ...shared } = file;
  const config = compileExecutorSimConfig(loadConfig(env, shared), parseExecutorSimConfig(executorSim));
  const log = pino({ level: config.switchyard.log.level, base: { service: 'executor-sim' } });
  log.info({ config: redact(config.switchyard), service: config.service }, 'configuration loaded');
  const sim = await startExecutorSim(config, { logger: log });
  const stopOn = (signal: NodeJS.Signals): void => {
    log.info({ signal }, 'shutdown requested');
    sim.stop().catch((err: unknown) => log.error({ err }, 'shutdown failed'));
  };
  process.once('SIGTERM', stopOn);
  process.once('SIGINT', stopOn);
  try {
    await sim.done;
    log.info('executor-sim stopped');
    return 0;
  } catch (err) {
    log.error({ err }, 'executor-sim stopped on a fatal error');
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
