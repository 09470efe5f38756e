import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { StackError } from './errors.ts';

/** Repository root (two levels above this file). */
export const repoRoot: string = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

const port = z.number().int().min(1).max(65_535);
const pgUrl = z.string().refine((s) => /^postgres(ql)?:\/\//.test(s) && URL.canParse(s), {
  message: 'must be a postgres:// URL',
});

export const StackConfigSchema = z.object({
  /** Logs, data, pid files and unpacked downloads (git-ignored). */
  stateDir: z.string().default(resolve(repoRoot, '.stack')),
  startTimeoutMs: z.number().int().min(1_000).default(180_000),
  // The first clean stop also writes the class-data archives (see classDataSharingFlags).
  stopTimeoutMs: z.number().int().min(1_000).default(60_000),
  /** Apply libs/store migrations once Postgres is ready. */
  migrate: z.boolean().default(true),
  kafka: z
    .object({
      version: z.string().default('4.1.1'),
      host: z.string().default('127.0.0.1'),
      port: port.default(19092),
      controllerPort: port.default(19093),
      heapMb: z.number().int().min(128).default(512),
      /** Use these brokers instead of starting one (SWITCHYARD_KAFKA_BROKERS). */
      externalBrokers: z.array(z.string().min(1)).min(1).optional(),
    })
    .prefault({}),
  registry: z
    .object({
      // 3.0.x is the newest line built for Java 17; 3.3.x needs Java 21 (class file 65).
      version: z.string().default('3.0.9'),
      host: z.string().default('127.0.0.1'),
      port: port.default(18081),
      heapMb: z.number().int().min(128).default(384),
      /** Confluent-compatible base URL to use instead of starting one (SWITCHYARD_REGISTRY_URL). */
      externalUrl: z.url().optional(),
    })
    .prefault({}),
  postgres: z
    .object({
      /** Superuser (or CREATEROLE + CREATEDB) URL on any database of the server. */
      adminUrl: pgUrl.default('postgres://postgres@127.0.0.1:5432/postgres'),
      database: z.string().regex(/^[a-z_][a-z0-9_]*$/).default('switchyard'),
      writerPassword: z.string().min(1).default('switchyard_writer_local'),
      analystPassword: z.string().min(1).default('switchyard_analyst_local'),
      /** auto: embedded only when adminUrl does not answer. */
      embedded: z.enum(['auto', 'never', 'always']).default('auto'),
      embeddedPort: port.default(15432),
      /** Writer URL of an already provisioned database (SWITCHYARD_PG_URL): skips provisioning. */
      externalUrl: pgUrl.optional(),
      externalAnalystUrl: pgUrl.optional(),
    })
    .prefault({}),
});

export type StackConfigInput = z.input<typeof StackConfigSchema>;
export type StackConfig = Readonly<z.output<typeof StackConfigSchema>>;

export function parseStackConfig(input: unknown = {}): StackConfig {
  const result = StackConfigSchema.safeParse(input);
  if (!result.success) {
    const detail = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new StackError('config_invalid', `invalid stack config: ${detail}`, { cause: result.error });
  }
  return deepFreeze(result.data);
}

/**
 * Maps SWITCHYARD_* variables onto a config input. Only entry points (the CLI, the test
 * global setup, service mains) call this; everything below them receives parsed config.
 */
export function stackConfigFromEnv(env: Readonly<Record<string, string | undefined>>): StackConfigInput {
  const brokers = env['SWITCHYARD_KAFKA_BROKERS']
    ?.split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
  const embedded = env['SWITCHYARD_PG_EMBEDDED'];
  return {
    ...(env['SWITCHYARD_STACK_DIR'] ? { stateDir: resolve(env['SWITCHYARD_STACK_DIR']) } : {}),
    ...(env['SWITCHYARD_STACK_TIMEOUT_MS'] ? { startTimeoutMs: Number(env['SWITCHYARD_STACK_TIMEOUT_MS']) } : {}),
    kafka: brokers && brokers.length > 0 ? { externalBrokers: brokers } : {},
    registry: env['SWITCHYARD_REGISTRY_URL'] ? { externalUrl: env['SWITCHYARD_REGISTRY_URL'] } : {},
    postgres: {
      ...(env['SWITCHYARD_PG_ADMIN_URL'] ? { adminUrl: env['SWITCHYARD_PG_ADMIN_URL'] } : {}),
      // A database of its own per checkout, so migrations of a branch never reach another's.
      ...(env['SWITCHYARD_PG_DATABASE'] ? { database: env['SWITCHYARD_PG_DATABASE'] } : {}),
      ...(env['SWITCHYARD_PG_URL'] ? { externalUrl: env['SWITCHYARD_PG_URL'] } : {}),
      ...(env['SWITCHYARD_PG_ANALYST_URL'] ? { externalAnalystUrl: env['SWITCHYARD_PG_ANALYST_URL'] } : {}),
      ...(env['SWITCHYARD_PG_WRITER_PASSWORD'] ? { writerPassword: env['SWITCHYARD_PG_WRITER_PASSWORD'] } : {}),
      ...(env['SWITCHYARD_PG_ANALYST_PASSWORD'] ? { analystPassword: env['SWITCHYARD_PG_ANALYST_PASSWORD'] } : {}),
      // Passed through unchecked: parseStackConfig rejects anything but auto|never|always.
      ...(embedded !== undefined ? { embedded: embedded as 'auto' } : {}),
    },
  };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
