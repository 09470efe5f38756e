// The connection part of the configuration alone (Kafka, registry, Postgres, with their TLS,
// SASL and secrets), for entry points that connect but do not route, such as the CLI: the same
// SWITCHYARD_* variables and `*File` secrets as loadConfig, without the models a router needs.
// Endpoints the caller already resolved (flags, the local stack) are given as overrides and win
// over the environment.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { applyEnv } from './env.ts';
import { ConfigError } from './errors.ts';
import { compilePgTls, connectionIssues, deepFreeze } from './load.ts';
import type { KafkaConfig, RegistryConfig, SwitchyardConfig } from './load.ts';
import { kafkaSchema, postgresSchema, registrySchema } from './schema.ts';
import { resolveSecretFiles } from './secrets.ts';
import type { ReadSecretFile } from './secrets.ts';

export interface ConnectionOverrides {
  readonly kafkaBrokers?: readonly string[];
  readonly registryUrl?: string;
  readonly postgresUrl?: string;
}

export interface Connections {
  readonly kafka: KafkaConfig;
  readonly registry: RegistryConfig;
  /** Undefined when neither the environment nor the overrides name a Postgres URL. */
  readonly postgres: NonNullable<SwitchyardConfig['postgres']> | undefined;
}

const connectionsSchema = z.object({
  kafka: kafkaSchema.default(() => kafkaSchema.parse({})),
  registry: registrySchema.default(() => registrySchema.parse({})),
  postgres: postgresSchema.optional(),
});

function at(root: Record<string, unknown>, key: string): Record<string, unknown> {
  const node = root[key];
  if (typeof node === 'object' && node !== null && !Array.isArray(node)) return node as Record<string, unknown>;
  const fresh: Record<string, unknown> = {};
  root[key] = fresh;
  return fresh;
}

/** @throws ConfigError naming every violated rule with its path. */
export function loadConnections(env: Readonly<Record<string, string | undefined>>, overrides: ConnectionOverrides = {}, options: { readFile?: ReadSecretFile } = {}): Connections {
  const merged = applyEnv({}, env);
  if (merged.issues.length > 0) throw new ConfigError('invalid_env', merged.issues);
  const raw: Record<string, unknown> = {};
  for (const key of ['kafka', 'registry', 'postgres']) if (merged.value[key] !== undefined) raw[key] = merged.value[key];
  if (overrides.kafkaBrokers !== undefined) at(raw, 'kafka')['brokers'] = [...overrides.kafkaBrokers];
  if (overrides.registryUrl !== undefined) at(raw, 'registry')['url'] = overrides.registryUrl;
  if (overrides.postgresUrl !== undefined) at(raw, 'postgres')['connectionString'] = overrides.postgresUrl;
  const secretIssues = resolveSecretFiles(raw, options.readFile ?? ((path) => readFileSync(path, 'utf8')));
  if (secretIssues.length > 0) throw new ConfigError('invalid_config', secretIssues);
  const parsed = connectionsSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', rule: i.code, message: i.message }));
    throw new ConfigError('invalid_config', issues, { cause: parsed.error });
  }
  const { kafka, registry, postgres } = parsed.data;
  const issues = connectionIssues(kafka, postgres);
  if (issues.length > 0) throw new ConfigError('invalid_config', issues);
  return deepFreeze({ kafka, registry, postgres: postgres === undefined ? undefined : { ...postgres, ssl: compilePgTls(postgres.ssl) } });
}
