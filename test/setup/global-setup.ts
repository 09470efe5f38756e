// Integration tests run against the real stack: reuse the one `npm run stack:up` started (or
// that SWITCHYARD_* variables point at), else start it here and stop it afterwards, unless
// another test run in this checkout is still using it.
import type { TestProject } from 'vitest/node';
import { ensureStack, registerStackUser, stackConfigFromEnv, stopStack, type StackInfo } from '@switchyard/stack';
import { migrate } from '@switchyard/store';

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackInfo;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const config = stackConfigFromEnv(process.env);
  const log = (line: string): void => console.log(`[stack] ${line}`);
  const releaseUser = await registerStackUser({ config });
  const info = await ensureStack({ config, log });
  // ensureStack migrates too; this covers a stack reused from elsewhere with its own config.
  await migrate(info.adminUrl);

  project.provide('stack', info);
  // For code under test that reads configuration from the environment at its entry point.
  process.env['SWITCHYARD_KAFKA_BROKERS'] = info.kafkaBrokers.join(',');
  process.env['SWITCHYARD_REGISTRY_URL'] = info.registryUrl;
  process.env['SWITCHYARD_PG_URL'] = info.postgresUrl;
  process.env['SWITCHYARD_PG_ANALYST_URL'] = info.analystUrl;
  process.env['SWITCHYARD_PG_ADMIN_URL'] = info.adminUrl;
  // kafkajs 2 warns on every producer that its default partitioner changed in 2.0; tests do not care.
  process.env['KAFKAJS_NO_PARTITIONER_WARNING'] ??= '1';

  return async () => {
    await releaseUser();
    const started = (Object.keys(info.startedByUs) as Array<keyof StackInfo['startedByUs']>).filter((c) => info.startedByUs[c]);
    if (started.length === 0) return;
    const result = await stopStack({ config, components: started, unlessInUse: true, log });
    if (Object.values(result).includes('kept_in_use')) log('left running: another test run in this checkout still uses it');
  };
}
