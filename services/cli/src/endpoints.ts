// Where Kafka, the registry and Postgres are: flags first, then SWITCHYARD_* variables (the
// caller passes the environment in), and for anything still missing the local stack, which is
// reused when it runs and started when it does not (as `npm run stack:up` would). TLS, SASL,
// registry credentials and the Postgres password and sslmode come from the same SWITCHYARD_*
// variables and `*_FILE` secrets the services read (libs/config loadConnections).
import { ConfigError, configSchema, loadConnections } from '@switchyard/config';
import type { Connections, KafkaConfig } from '@switchyard/config';
import { ensureStack, stackConfigFromEnv } from '@switchyard/stack';
import { createPool, postgresConfigOf } from '@switchyard/store';
import type { Pool } from '@switchyard/store';
import { CliError } from './errors.ts';

export interface Endpoints {
  readonly kafkaBrokers: readonly string[];
  readonly registryUrl: string;
  readonly postgresUrl: string;
  /** The whole connection settings (TLS, SASL, credentials); absent: plaintext to the URLs above. */
  readonly connections?: Connections;
}

/** Where a command's Postgres is: a URL, and the password and TLS options when the caller has them. */
export interface PostgresTarget {
  readonly postgresUrl: string;
  readonly postgres?: Connections['postgres'];
}

export function openPool(target: PostgresTarget, applicationName: string, poolMax: number): Pool {
  return createPool(target.postgres !== undefined ? postgresConfigOf(target.postgres, applicationName, poolMax) : { url: target.postgresUrl, poolMax, applicationName });
}

export function postgresTargetOf(e: Endpoints): PostgresTarget {
  return { postgresUrl: e.postgresUrl, postgres: e.connections?.postgres };
}

export function kafkaConfigOf(e: Endpoints): KafkaConfig {
  return e.connections?.kafka ?? configSchema.shape.kafka.parse({ brokers: [...e.kafkaBrokers], clientId: 'switchyard' });
}

export function registryOf(e: Endpoints): { url: string; username?: string | undefined; password?: string | undefined } {
  const r = e.connections?.registry;
  return r === undefined ? { url: e.registryUrl } : { url: r.url, username: r.username, password: r.password };
}

/** The endpoints with their connection settings from the environment (secret files read here). */
export function withConnections(e: Omit<Endpoints, 'connections'>, env: Env): Endpoints {
  try {
    const connections = loadConnections(env, { kafkaBrokers: e.kafkaBrokers, registryUrl: e.registryUrl, postgresUrl: e.postgresUrl });
    return { ...e, connections };
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError('invalid_arguments', err.message, { cause: err });
    throw err;
  }
}

export interface EndpointFlags {
  readonly brokers?: string | undefined;
  readonly registry?: string | undefined;
  readonly pgUrl?: string | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

function csv(s: string): string[] {
  return s.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
}

/** Pure part: what flags and environment already say; null where neither does. */
export function endpointsFromFlagsAndEnv(flags: EndpointFlags, env: Env): { kafkaBrokers: string[] | null; registryUrl: string | null; postgresUrl: string | null } {
  const brokers = flags.brokers ?? env['SWITCHYARD_KAFKA_BROKERS'];
  return {
    kafkaBrokers: brokers !== undefined && csv(brokers).length > 0 ? csv(brokers) : null,
    registryUrl: flags.registry ?? env['SWITCHYARD_REGISTRY_URL'] ?? null,
    postgresUrl: flags.pgUrl ?? env['SWITCHYARD_PG_URL'] ?? null,
  };
}

export async function resolveEndpoints(flags: EndpointFlags, env: Env, log: (line: string) => void): Promise<Endpoints> {
  const given = endpointsFromFlagsAndEnv(flags, env);
  if (given.kafkaBrokers !== null && given.registryUrl !== null && given.postgresUrl !== null) {
    return withConnections({ kafkaBrokers: given.kafkaBrokers, registryUrl: given.registryUrl, postgresUrl: given.postgresUrl }, env);
  }
  log('using the local stack for what flags and SWITCHYARD_* variables do not name (npm run stack:status)');
  try {
    const info = await ensureStack({ config: stackConfigFromEnv({ ...env, ...(given.kafkaBrokers !== null ? { SWITCHYARD_KAFKA_BROKERS: given.kafkaBrokers.join(',') } : {}), ...(given.registryUrl !== null ? { SWITCHYARD_REGISTRY_URL: given.registryUrl } : {}), ...(given.postgresUrl !== null ? { SWITCHYARD_PG_URL: given.postgresUrl } : {}) }), log });
    return withConnections(
      {
        kafkaBrokers: given.kafkaBrokers ?? info.kafkaBrokers,
        registryUrl: given.registryUrl ?? info.registryUrl,
        postgresUrl: given.postgresUrl ?? info.postgresUrl,
      },
      env,
    );
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError('stack_unavailable', `the local stack is not available: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
