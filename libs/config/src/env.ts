// Environment variables that override the configuration file. Each maps to one path and is
// parsed from its string form here, so zod sees typed values and reports the path.
import type { ConfigIssue } from './errors.ts';

export const ENV_PREFIX = 'SWITCHYARD_';

type EnvKind = 'string' | 'int' | 'bool' | 'csv' | 'json';

export interface EnvBinding {
  readonly name: string;
  readonly path: readonly string[];
  readonly kind: EnvKind;
}

function bind(name: string, path: string, kind: EnvKind): EnvBinding {
  return { name: `${ENV_PREFIX}${name}`, path: path.split('.'), kind };
}

export const ENV_BINDINGS: readonly EnvBinding[] = [
  bind('KAFKA_BROKERS', 'kafka.brokers', 'csv'),
  bind('KAFKA_CLIENT_ID', 'kafka.clientId', 'string'),
  bind('KAFKA_COMPRESSION', 'kafka.compression', 'string'),
  bind('KAFKA_SSL', 'kafka.ssl.enabled', 'bool'),
  bind('KAFKA_SSL_CA', 'kafka.ssl.ca', 'string'),
  bind('KAFKA_SSL_CERT', 'kafka.ssl.cert', 'string'),
  bind('KAFKA_SSL_KEY', 'kafka.ssl.key', 'string'),
  bind('KAFKA_SSL_CA_FILE', 'kafka.ssl.caFile', 'string'),
  bind('KAFKA_SSL_CERT_FILE', 'kafka.ssl.certFile', 'string'),
  bind('KAFKA_SSL_KEY_FILE', 'kafka.ssl.keyFile', 'string'),
  bind('KAFKA_SSL_REJECT_UNAUTHORIZED', 'kafka.ssl.rejectUnauthorized', 'bool'),
  bind('KAFKA_SASL_MECHANISM', 'kafka.sasl.mechanism', 'string'),
  bind('KAFKA_SASL_USERNAME', 'kafka.sasl.username', 'string'),
  bind('KAFKA_SASL_PASSWORD', 'kafka.sasl.password', 'string'),
  bind('KAFKA_SASL_PASSWORD_FILE', 'kafka.sasl.passwordFile', 'string'),
  bind('REGISTRY_URL', 'registry.url', 'string'),
  bind('REGISTRY_USERNAME', 'registry.username', 'string'),
  bind('REGISTRY_PASSWORD', 'registry.password', 'string'),
  bind('REGISTRY_PASSWORD_FILE', 'registry.passwordFile', 'string'),
  bind('PG_URL', 'postgres.connectionString', 'string'),
  bind('PG_PASSWORD', 'postgres.password', 'string'),
  bind('PG_PASSWORD_FILE', 'postgres.passwordFile', 'string'),
  bind('PG_SSL', 'postgres.ssl.enabled', 'bool'),
  bind('PG_SSL_MODE', 'postgres.ssl.mode', 'string'),
  bind('PG_SSL_CA_FILE', 'postgres.ssl.caFile', 'string'),
  bind('PG_SSL_CERT_FILE', 'postgres.ssl.certFile', 'string'),
  bind('PG_SSL_KEY_FILE', 'postgres.ssl.keyFile', 'string'),
  bind('PG_SSL_REJECT_UNAUTHORIZED', 'postgres.ssl.rejectUnauthorized', 'bool'),
  bind('TOPIC_REQUESTS', 'topics.requests', 'string'),
  bind('TOPIC_DEFERRED', 'topics.deferred', 'string'),
  bind('TOPIC_DEAD_LETTER', 'topics.deadLetter', 'string'),
  bind('TOPIC_OUTCOMES', 'topics.outcomes', 'string'),
  bind('TOPIC_ROUTED_TEMPLATE', 'topics.routedTemplate', 'string'),
  bind('TENANCY_TENANTS', 'tenancy.tenants', 'csv'),
  bind('TENANCY_TOPIC_TEMPLATE', 'tenancy.topicTemplate', 'string'),
  bind('TENANCY_SHARED_TOPIC', 'tenancy.sharedTopic', 'string'),
  bind('TOPIC_PARTITIONS', 'topics.partitions', 'int'),
  bind('TOPIC_REPLICATION_FACTOR', 'topics.replicationFactor', 'int'),
  bind('MODELS', 'models', 'json'),
  bind('BATCH_FLUSH_INTERVAL_MS', 'batching.flushIntervalMs', 'int'),
  bind('WORKER_POOL_SIZE', 'workers.poolSize', 'int'),
  bind('SCORING_BACKEND', 'scoring.backend', 'string'),
  bind('ROUTER_INSTANCE_ID', 'router.instanceId', 'string'),
  bind('ROUTER_POLICY', 'router.policy', 'json'),
  bind('EMBEDDING_DIM', 'router.embeddingDim', 'int'),
  bind('LOG_LEVEL', 'log.level', 'string'),
  bind('OPS_READY_FAILURE_MS', 'ops.readyFailureMs', 'int'),
  bind('OPS_MAX_FAILURE_DURATION_MS', 'ops.maxFailureDurationMs', 'int'),
];

/** Variables with the prefix that are read by service shells rather than mapped into the config. */
export const ENV_PASSTHROUGH: readonly string[] = [`${ENV_PREFIX}CONFIG_FILE`];

/**
 * Name spaces this library owns: an unknown variable inside one is a typo and an error.
 * Other SWITCHYARD_* names (SWITCHYARD_STACK_*, SWITCHYARD_PG_ADMIN_URL, ...) belong to the
 * local-stack tooling and are ignored here.
 */
export const ENV_OWNED_PREFIXES: readonly string[] = [
  'KAFKA_', 'REGISTRY_', 'TOPIC_', 'TENANCY_', 'MODELS', 'BATCH_', 'WORKER_', 'SCORING_', 'ROUTER_', 'EMBEDDING_', 'LOG_', 'OPS_',
].map((p) => `${ENV_PREFIX}${p}`);

const byName = new Map(ENV_BINDINGS.map((b) => [b.name, b]));

function parseValue(binding: EnvBinding, raw: string): { ok: true; value: unknown } | { ok: false; message: string } {
  switch (binding.kind) {
    case 'string':
      return { ok: true, value: raw };
    case 'int': {
      if (!/^-?\d+$/.test(raw.trim())) return { ok: false, message: `must be an integer, got "${raw}"` };
      return { ok: true, value: Number(raw.trim()) };
    }
    case 'bool': {
      const v = raw.trim().toLowerCase();
      if (['true', '1', 'yes'].includes(v)) return { ok: true, value: true };
      if (['false', '0', 'no'].includes(v)) return { ok: true, value: false };
      return { ok: false, message: `must be true/false, got "${raw}"` };
    }
    case 'csv':
      return { ok: true, value: raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0) };
    case 'json':
      try {
        return { ok: true, value: JSON.parse(raw) as unknown };
      } catch {
        // A bare policy name is accepted for convenience: SWITCHYARD_ROUTER_POLICY=port.
        if (binding.path.join('.') === 'router.policy' && /^[a-z-]+$/.test(raw.trim())) {
          return { ok: true, value: { policy: raw.trim() } };
        }
        return { ok: false, message: 'must be valid JSON' };
      }
  }
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i]!;
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) {
      node[key] = {};
    }
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

/** Applies SWITCHYARD_* variables onto a copy of `base`; unknown names in the owned name spaces are errors (typos). */
export function applyEnv(base: Record<string, unknown>, env: Readonly<Record<string, string | undefined>>): { value: Record<string, unknown>; issues: ConfigIssue[] } {
  const value = structuredClone(base);
  const issues: ConfigIssue[] = [];
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || raw === undefined || ENV_PASSTHROUGH.includes(name)) continue;
    const binding = byName.get(name);
    if (binding === undefined) {
      if (!ENV_OWNED_PREFIXES.some((p) => name.startsWith(p))) continue;
      issues.push({ path: name, rule: 'unknown_variable', message: 'unknown variable (see docs/configuration.md for the supported names)' });
      continue;
    }
    const parsed = parseValue(binding, raw);
    if (!parsed.ok) {
      issues.push({ path: name, rule: `env_${binding.kind}`, message: parsed.message });
      continue;
    }
    setPath(value, binding.path, parsed.value);
  }
  return { value, issues };
}
