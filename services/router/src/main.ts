// Process entry point: the only place that reads the environment and the config file.
//   SWITCHYARD_CONFIG_FILE  JSON file: the shared switchyard configuration plus a
//                           "routerService" section (see config.ts); SWITCHYARD_* variables
//                           override the shared part (see docs/configuration.md)
//   ROUTER_HTTP_PORT        overrides routerService.httpPort
// SIGTERM / SIGINT stop gracefully: in-flight slices are committed or aborted, then the
// consumer leaves its group and everything closes. Exit code 0 after a clean stop, 1 otherwise.
import { readFile } from 'node:fs/promises';
import { pino } from 'pino';
import { loadConfig, redact } from '@switchyard/config';
import { compileRouterConfig, parseRouterServiceConfig } from './config.ts';
import { startRouter } from './router.ts';

async function main(): Promise<number> {
  const env = process.env;
  const path = env.SWITCHYARD_CONFIG_FILE;
  const file = path === undefined ? {} : (JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>);
  const { routerService, ...shared } = file;
  const serviceInput = { ...(routerService as Record<string, unknown> | undefined) };
  if (env.ROUTER_HTTP_PORT !== undefined) serviceInput.httpPort = Number(env.ROUTER_HTTP_PORT);
  const config = compileRouterConfig(loadConfig(env, shared), parseRouterServiceConfig(serviceInput));
  const log = pino({ level: config.switchyard.log.level, base: { service: 'router', instance: config.switchyard.router.instanceId } });
  log.info({ config: redact(config.switchyard), service: config.service }, 'configuration loaded');

  const router = await startRouter(config, { logger: log });
  const stopOn = (signal: NodeJS.Signals): void => {
    log.info({ signal }, 'shutdown requested');
    // A stop that hangs (a broker that never answers) must not keep the process forever; the
    // transactions it could not finish are aborted by the broker and re-read by the next owner.
    const force = setTimeout(() => {
      log.error({ timeoutMs: config.service.shutdownTimeoutMs }, 'graceful shutdown timed out; exiting');
      process.exit(1);
    }, config.service.shutdownTimeoutMs);
    force.unref();
    router.stop().catch((err: unknown) => log.error({ err }, 'shutdown failed'));
  };
  process.once('SIGTERM', stopOn);
  process.once('SIGINT', stopOn);
  try {
    await router.done;
    return 0;
  } catch (err) {
    log.error({ err }, 'router stopped on a fatal error');
    return 1;
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // Startup failures (bad config, unreachable infrastructure) land here, before a logger exists.
    console.error(err);
    process.exitCode = 1;
  },
);
