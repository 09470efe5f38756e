// `npm run stack:up | stack:down | stack:status`: the only place the stack reads the environment.
import { Command } from 'commander';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { redactUrl } from '@switchyard/store';
import { ensureStack, formatStatus, parseStackConfig, stackConfigFromEnv, stackStatus, stopStack, StackError } from './index.ts';

const config = stackConfigFromEnv(process.env);
const log = (line: string): void => console.log(`[stack] ${line}`);

const program = new Command('stack').description('Local Kafka, schema registry and Postgres for switchyard');

program
  .command('up')
  .description('start what is not running (reuses what is), wait until ready, apply migrations')
  .action(async () => {
    const startedAt = performance.now();
    const info = await ensureStack({ config, log });
    const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
    const started = Object.entries(info.startedByUs)
      .filter(([, v]) => v)
      .map(([k]) => k);
    log(`ready in ${seconds} s (started: ${started.length > 0 ? started.join(', ') : 'nothing, all reused'})`);
    console.log(`  kafka     ${info.kafkaBrokers.join(',')}`);
    console.log(`  registry  ${info.registryUrl}`);
    console.log(`  postgres  ${redactUrl(info.postgresUrl)} (${info.postgresKind})`);
    console.log(`  analyst   ${redactUrl(info.analystUrl)}`);
    console.log(`  admin     ${redactUrl(info.adminUrl)}`);
  });

program
  .command('down')
  .description('stop the processes stack:up started (pid files under .stack/run); nothing else')
  .option('--purge', 'also delete Kafka, registry and embedded Postgres data (keeps downloads)')
  .action(async (opts: { purge?: boolean }) => {
    const result = await stopStack({ config, log });
    for (const [component, outcome] of Object.entries(result)) console.log(`  ${component.padEnd(9)} ${outcome}`);
    if (opts.purge === true) {
      const { stateDir } = parseStackConfig(config);
      await rm(join(stateDir, 'data'), { recursive: true, force: true });
      log(`purged ${join(stateDir, 'data')}`);
    }
  });

program
  .command('status')
  .description('show what answers on the stack ports and what the stack started')
  .action(async () => {
    const statuses = await stackStatus({ config });
    for (const line of formatStatus(statuses, redactUrl)) console.log(line);
    if (statuses.some((s) => !s.ready)) process.exitCode = 1;
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof StackError) {
    console.error(`[stack] ${error.code}: ${error.message}`);
  } else {
    console.error('[stack] failed:', error);
  }
  process.exit(1);
});
