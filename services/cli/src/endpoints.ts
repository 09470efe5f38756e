// Where Kafka, the registry and Postgres are: flags first, then SWITCHYARD_* variables (the
// caller passes the environment in), and for anything still missing the local stack, which is
// reused when it runs and started when it does not (as `npm run stack:up` would).
import { ensureStack, stackConfigFromEnv } from '@switchyard/stack';
import { CliError } from './errors.ts';

export interface Endpoints {
  readonly kafkaBrokers: readonly string[];
  readonly registryUrl: string;
  readonly postgresUrl: string;
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
    return { kafkaBrokers: given.kafkaBrokers, registryUrl: given.registryUrl, postgresUrl: given.postgresUrl };
  }
  log('using the local stack for what flags and SWITCHYARD_* variables do not name (npm run stack:status)');
  try {
    const info = await ensureStack({ config: stackConfigFromEnv({ ...env, ...(given.kafkaBrokers !== null ? { SWITCHYARD_KAFKA_BROKERS: given.kafkaBrokers.join(',') } : {}), ...(given.registryUrl !== null ? { SWITCHYARD_REGISTRY_URL: given.registryUrl } : {}), ...(given.postgresUrl !== null ? { SWITCHYARD_PG_URL: given.postgresUrl } : {}) }), log });
    return {
      kafkaBrokers: given.kafkaBrokers ?? info.kafkaBrokers,
      registryUrl: given.registryUrl ?? info.registryUrl,
      postgresUrl: given.postgresUrl ?? info.postgresUrl,
    };
  } catch (err) {
    throw new CliError('stack_unavailable', `the local stack is not available: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
