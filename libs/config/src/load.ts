// Compiles configuration once at the edge: file object + SWITCHYARD_* environment -> secrets
// from files -> zod -> cross-field rules -> derived values -> deep-frozen object. No process.env
// here: the service's main.ts reads it and the file and passes them in. The only file I/O is
// reading the secret files the configuration names (options.readFile, node:fs by default).
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { ConfigError } from './errors.ts';
import type { ConfigIssue } from './errors.ts';
import { applyEnv } from './env.ts';
import { hasPrice } from './prices.ts';
import { resolveSecretFiles } from './secrets.ts';
import type { ReadSecretFile } from './secrets.ts';
import { configSchema } from './schema.ts';
import type { ParsedConfig, PgSslMode } from './schema.ts';
import { collisionKey, isLegalTopicName, routedTopicName, tenantTopicName } from './topics.ts';

export type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

type ParsedPostgres = NonNullable<ParsedConfig['postgres']>;

/** Postgres TLS with mode resolved: what a pool needs, and nothing left to default later. */
interface CompiledPgTls extends Omit<ParsedPostgres['ssl'], 'enabled' | 'rejectUnauthorized' | 'mode'> {
  readonly mode: PgSslMode;
  readonly enabled: boolean;
  readonly rejectUnauthorized: boolean;
  /** False only for verify-ca: the chain is checked, the host name is not. */
  readonly verifyHostname: boolean;
}

type Compiled = Omit<ParsedConfig, 'postgres'> & {
  postgres?: Omit<ParsedPostgres, 'ssl'> & { ssl: CompiledPgTls };
  topics: ParsedConfig['topics'] & {
    /** Per-model topic, from routedTemplate and the sanitised model name. */
    routedByModel: Record<string, string>;
  };
  router: ParsedConfig['router'] & { instanceId: string };
  tenancy: CompiledTenancy;
};

interface CompiledTenancy {
  readonly tenants: string[];
  readonly topicTemplate: string;
  /** Resolved default: trusted without tenant topics, off with them. */
  readonly sharedTopic: 'trusted' | 'off';
  /** Request topic -> the tenant whose ACLs guard it. */
  readonly tenantByTopic: Record<string, string>;
}

export type SwitchyardConfig = DeepReadonly<Compiled>;
export type ModelConfig = SwitchyardConfig['models'][number];
export type KafkaConfig = SwitchyardConfig['kafka'];
export type RegistryConfig = SwitchyardConfig['registry'];
export type TopicsConfig = SwitchyardConfig['topics'];
export type TenancyConfig = SwitchyardConfig['tenancy'];

/** Freezes a parsed config object and everything in it, so compiled configs cannot be mutated. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function zodIssues(error: z.ZodError): ConfigIssue[] {
  return error.issues.map((i) => ({
    path: i.path.length > 0 ? i.path.map(String).join('.') : '(root)',
    rule: i.code,
    message: i.message,
  }));
}

/**
 * libpq's sslmode onto TLS options: require encrypts without verifying (as libpq does without a
 * root certificate), verify-ca checks the chain only, verify-full the chain and the host name.
 * Without a mode, enabled and rejectUnauthorized say it, as for Kafka.
 */
export function compilePgTls(t: ParsedPostgres['ssl']): CompiledPgTls {
  const { mode: given, enabled, rejectUnauthorized, ...material } = t;
  const mode: PgSslMode = given ?? (enabled !== true ? 'disable' : rejectUnauthorized === false ? 'require' : 'verify-full');
  return {
    ...material,
    mode,
    enabled: mode !== 'disable',
    rejectUnauthorized: mode === 'verify-ca' || mode === 'verify-full',
    verifyHostname: mode === 'verify-full',
  };
}

function compileTenancy(t: ParsedConfig['tenancy']): CompiledTenancy {
  const tenantByTopic: Record<string, string> = {};
  for (const tenant of t.tenants) tenantByTopic[tenantTopicName(t.topicTemplate, tenant)] = tenant;
  return { ...t, sharedTopic: t.sharedTopic ?? (t.tenants.length === 0 ? 'trusted' : 'off'), tenantByTopic };
}

function tenancyIssues(cfg: ParsedConfig, tenancy: CompiledTenancy, claim: (path: string, topic: string) => void): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (tenancy.sharedTopic === 'off' && tenancy.tenants.length === 0) {
    issues.push({ path: 'tenancy.sharedTopic', rule: 'no_request_topic', message: 'the shared topic is off and no tenant topics are listed: the router would read nothing' });
  }
  const seen = new Set<string>();
  cfg.tenancy.tenants.forEach((tenant, i) => {
    const topic = tenantTopicName(tenancy.topicTemplate, tenant);
    if (seen.has(tenant)) issues.push({ path: `tenancy.tenants.${i}`, rule: 'duplicate_tenant', message: `tenant "${tenant}" is listed twice` });
    else if (!isLegalTopicName(topic)) issues.push({ path: `tenancy.tenants.${i}`, rule: 'illegal_topic', message: `topic "${topic}" is not a legal Kafka topic name (too long?)` });
    else claim(`tenancy.tenants.${i}`, topic);
    seen.add(tenant);
  });
  return issues;
}

function crossFieldIssues(cfg: ParsedConfig, routedByModel: Record<string, string>, tenancy: CompiledTenancy): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const seenNames = new Map<string, number>();
  cfg.models.forEach((m, i) => {
    const first = seenNames.get(m.name);
    if (first !== undefined) {
      issues.push({ path: `models.${i}.name`, rule: 'duplicate_model', message: `duplicates models.${first}.name "${m.name}"` });
    } else {
      seenNames.set(m.name, i);
    }
  });
  const fixed: Array<[string, string]> = [
    ['topics.requests', cfg.topics.requests],
    ['topics.deferred', cfg.topics.deferred],
    ['topics.deadLetter', cfg.topics.deadLetter],
    ['topics.outcomes', cfg.topics.outcomes],
  ];
  const owners = new Map<string, string>();
  const claim = (path: string, topic: string): void => {
    const key = collisionKey(topic);
    const owner = owners.get(key);
    if (owner !== undefined) {
      issues.push({ path, rule: 'topic_collision', message: `topic "${topic}" collides with ${owner} (Kafka treats '.' and '_' as equal here)` });
    } else {
      owners.set(key, path);
    }
  };
  for (const [path, topic] of fixed) claim(path, topic);
  cfg.models.forEach((m, i) => {
    if (seenNames.get(m.name) === i) claim(`models.${i}.name`, routedByModel[m.name]!);
  });
  issues.push(...tenancyIssues(cfg, tenancy, claim));
  issues.push(...connectionIssues(cfg.kafka, cfg.postgres));
  issues.push(...usdBudgetIssues(cfg));
  return issues;
}

/** TLS material with TLS off, or TLS given twice (config and URL); shared with loadConnections. */
export function connectionIssues(kafka: ParsedConfig['kafka'], postgres: ParsedConfig['postgres']): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (kafka.ssl.enabled === false && (kafka.ssl.ca !== undefined || kafka.ssl.cert !== undefined)) {
    issues.push({ path: 'kafka.ssl.enabled', rule: 'ssl_material_without_ssl', message: 'TLS material is set but ssl.enabled is false' });
  }
  const pg = postgres === undefined ? undefined : { ...postgres, ssl: compilePgTls(postgres.ssl) };
  if (pg !== undefined && pg.ssl.enabled === false && (pg.ssl.ca !== undefined || pg.ssl.cert !== undefined)) {
    issues.push({ path: 'postgres.ssl.enabled', rule: 'ssl_material_without_ssl', message: 'TLS material is set but ssl.enabled is false' });
  }
  if (pg !== undefined && pg.ssl.enabled && /[?&]ssl[a-z]*=/i.test(pg.connectionString)) {
    // node-postgres lets the URL's ssl parameters replace the ssl object, silently.
    issues.push({ path: 'postgres.connectionString', rule: 'ssl_given_twice', message: 'postgres.ssl is enabled, so the URL must not carry sslmode or other ssl* parameters' });
  }
  return issues;
}

/** A dollar cap cannot be guaranteed for a model whose worst case cannot be priced. */
function usdBudgetIssues(cfg: ParsedConfig): ConfigIssue[] {
  const capped = [
    ...Object.entries(cfg.budgets.tenants).map(([id, b]) => [`budgets.tenants.${id}.usdPerDay`, b.usdPerDay] as const),
    ...Object.entries(cfg.budgets.jobs).map(([id, b]) => [`budgets.jobs.${id}.usdPerDay`, b.usdPerDay] as const),
  ].filter(([, usd]) => usd !== undefined);
  if (capped.length === 0) return [];
  const unpriced = cfg.models.filter((m) => !hasPrice(m)).map((m) => m.name);
  if (unpriced.length === 0) return [];
  return [{ path: capped[0]![0], rule: 'usd_budget_without_price', message: `a dollar budget needs costPer1kPromptTokensUsd and costPer1kCompletionTokensUsd on every model; missing on ${unpriced.join(', ')}` }];
}

export interface LoadConfigOptions {
  /** Reads the secret files named by `*File` settings (tests pass a fake); default: node:fs, UTF-8. */
  readonly readFile?: ReadSecretFile;
}

const readUtf8: ReadSecretFile = (path) => readFileSync(path, 'utf8');

/**
 * Builds the frozen configuration.
 * @param env an env-like record (the service passes process.env); SWITCHYARD_* names override the file.
 * @param file the already-parsed configuration file (JSON or YAML object), if any.
 * @throws ConfigError listing every violated rule with its path.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>, file?: unknown, options: LoadConfigOptions = {}): SwitchyardConfig {
  if (file !== undefined && (typeof file !== 'object' || file === null || Array.isArray(file))) {
    throw new ConfigError('invalid_config', [{ path: '(root)', rule: 'invalid_type', message: 'configuration file must be an object' }]);
  }
  const merged = applyEnv((file ?? {}) as Record<string, unknown>, env);
  if (merged.issues.length > 0) throw new ConfigError('invalid_env', merged.issues);
  const secretIssues = resolveSecretFiles(merged.value, options.readFile ?? readUtf8);
  if (secretIssues.length > 0) throw new ConfigError('invalid_config', secretIssues);

  const parsed = configSchema.safeParse(merged.value);
  if (!parsed.success) throw new ConfigError('invalid_config', zodIssues(parsed.error), { cause: parsed.error });
  const cfg = parsed.data;

  const routedByModel: Record<string, string> = {};
  for (const m of cfg.models) routedByModel[m.name] = routedTopicName(cfg.topics.routedTemplate, m.name);
  const tenancy = compileTenancy(cfg.tenancy);
  const issues = crossFieldIssues(cfg, routedByModel, tenancy);
  if (issues.length > 0) throw new ConfigError('invalid_config', issues);

  const { postgres, ...rest } = cfg;
  const compiled: Compiled = {
    ...rest,
    ...(postgres !== undefined ? { postgres: { ...postgres, ssl: compilePgTls(postgres.ssl) } } : {}),
    topics: { ...cfg.topics, routedByModel },
    router: { ...cfg.router, instanceId: cfg.router.instanceId ?? cfg.kafka.clientId },
    tenancy,
  };
  return deepFreeze(compiled);
}

/** Per-model topic for a configured model; undefined for a model that is not configured. */
export function routedTopicFor(config: SwitchyardConfig, model: string): string | undefined {
  return Object.hasOwn(config.topics.routedByModel, model) ? config.topics.routedByModel[model] : undefined;
}
