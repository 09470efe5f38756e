// Configuration schema: the single source for validation, defaults and the generated
// reference (docs/configuration.md, `npm run docs:config`). Units are in the names.
import { z } from 'zod';
import { MODEL_PLACEHOLDER, TENANT_PLACEHOLDER, isLegalTopicName } from './topics.ts';

const hostPort = /^[^\s:]+:\d{1,5}$/;
const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().min(0);

const topicName = z
  .string()
  .refine(isLegalTopicName, 'must be a legal Kafka topic name ([a-zA-Z0-9._-], 1..249 characters, not "." or "..")');

/** A path whose file content replaces the matching secret (see secrets.ts); a path is not a secret. */
function secretFile(what: string) {
  const trim = what.includes('password') ? '; a trailing newline is dropped' : '';
  return z.string().min(1).optional().describe(`File holding ${what} (e.g. a mounted secret), instead of the value itself${trim}.`);
}

/** libpq's sslmode names; prefer and allow (fall back to plaintext) are left out on purpose. */
export const PG_SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;
export type PgSslMode = (typeof PG_SSL_MODES)[number];

const pgSslMode = z
  .enum(PG_SSL_MODES)
  .optional()
  .describe(
    "libpq's sslmode: disable, require (encrypted, server not verified), verify-ca (certificate chain checked against ca), verify-full (chain and host name). When given it decides enabled and rejectUnauthorized, which must then be left out.",
  );

function tlsShape(peer: 'broker' | 'server') {
  return {
    enabled: z.boolean().default(false).describe('Connect with TLS.'),
    ca: z.string().optional().describe('PEM CA bundle; omit to use the system roots.'),
    caFile: secretFile('the PEM CA bundle'),
    cert: z.string().optional().describe('PEM client certificate for mutual TLS.'),
    certFile: secretFile('the PEM client certificate'),
    key: z.string().optional().describe('PEM private key for mutual TLS (secret).'),
    keyFile: secretFile('the PEM private key'),
    rejectUnauthorized: z.boolean().default(true).describe(`Verify the ${peer} certificate (chain and host name). Disable only for local testing.`),
  };
}

const certWithKey = { message: 'cert and key must be given together', path: ['key'] };

function tlsSchema() {
  return z
    .object(tlsShape('broker'))
    .strict()
    .refine((s) => (s.cert === undefined) === (s.key === undefined), certWithKey)
    .default({ enabled: false, rejectUnauthorized: true });
}

/** Postgres TLS: the broker's settings, or libpq's sslmode; enabled and rejectUnauthorized are resolved by loadConfig. */
function pgTlsSchema() {
  const shape = tlsShape('server');
  return z
    .object({
      ...shape,
      mode: pgSslMode,
      enabled: z.boolean().optional().describe('Connect with TLS (default false; or give mode).'),
      rejectUnauthorized: z.boolean().optional().describe('Verify the server certificate, chain and host name (default true; or give mode). Disable only for local testing.'),
    })
    .strict()
    .refine((s) => (s.cert === undefined) === (s.key === undefined), certWithKey)
    .refine((s) => s.mode === undefined || (s.enabled === undefined && s.rejectUnauthorized === undefined), {
      message: 'give mode, or enabled and rejectUnauthorized, not both',
      path: ['mode'],
    })
    .default({});
}

export const kafkaSchema = z
  .object({
    brokers: z
      .array(z.string().regex(hostPort, 'must be host:port'))
      .min(1)
      .default(['127.0.0.1:19092'])
      .describe('Bootstrap brokers as host:port. Env: comma-separated list.'),
    clientId: z.string().min(1).default('switchyard').describe('Kafka client id prefix; services append their role.'),
    ssl: tlsSchema().describe('TLS settings.'),
    sasl: z
      .object({
        mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).describe('SASL mechanism.'),
        username: z.string().min(1).describe('SASL user name.'),
        password: z.string().min(1).describe('SASL password (secret). Give it here, in SWITCHYARD_KAFKA_SASL_PASSWORD, or through passwordFile.'),
        passwordFile: secretFile('the SASL password'),
      })
      .strict()
      .optional()
      .describe('SASL authentication; omit for none. Use together with TLS outside local development.'),
    connectionTimeoutMs: positiveInt.default(3_000).describe('TCP connect timeout.'),
    requestTimeoutMs: positiveInt.default(30_000).describe('Per-request timeout.'),
    sessionTimeoutMs: positiveInt
      .default(6_000)
      .describe(
        "Consumer group session timeout: how long the group waits for a member that stopped heartbeating (a crashed process) before giving its partitions to others, so it bounds the pause after a crash. 6000 is the broker's smallest allowed value (group.min.session.timeout.ms); larger values tolerate longer stalls of a live process without a rebalance.",
      ),
    heartbeatIntervalMs: positiveInt.default(1_000).describe('Consumer heartbeat interval; at most a third of sessionTimeoutMs. Members learn of a rebalance at their next heartbeat.'),
    compression: z
      .enum(['none', 'gzip', 'snappy', 'lz4', 'zstd'])
      .default('none')
      .describe('Compression of the records the services write (router outputs, outcome-recorder dead letters, submit). Every consumer of the project reads all five codecs whatever this says.'),
    transactionTimeoutMs: positiveInt.default(60_000).describe('Producer transaction timeout (broker caps it at transaction.max.timeout.ms).'),
    retry: z
      .object({
        initialDelayMs: positiveInt.default(300).describe('First retry delay before jitter.'),
        maxDelayMs: positiveInt
          .default(2_000)
          .describe(
            'Upper bound of one retry delay. It bounds how long a service keeps waiting after a broker is back: with 30000 a router waited up to 30 s before its next try found the broker.',
          ),
        maxRetries: nonNegativeInt.default(5).describe('Retries after the first attempt.'),
      })
      .strict()
      .default({ initialDelayMs: 300, maxDelayMs: 2_000, maxRetries: 5 })
      .describe('Jittered exponential backoff for retriable Kafka errors.'),
  })
  .strict()
  .refine((k) => k.heartbeatIntervalMs * 3 <= k.sessionTimeoutMs, {
    message: 'heartbeatIntervalMs must be at most a third of sessionTimeoutMs',
    path: ['heartbeatIntervalMs'],
  });

export const registrySchema = z
  .object({
    url: z.url().default('http://127.0.0.1:18081/apis/ccompat/v7').describe('Schema registry base URL (Confluent-compatible API).'),
    username: z.string().min(1).optional().describe('Basic-auth user name.'),
    password: z.string().optional().describe('Basic-auth password (secret).'),
    passwordFile: secretFile('the basic-auth password'),
    requestTimeoutMs: positiveInt.default(10_000).describe('HTTP request timeout.'),
  })
  .strict();

export const topicsSchema = z
  .object({
    requests: topicName.default('requests').describe('Incoming requests (Avro switchyard.v1.Request).'),
    deferred: topicName.default('requests.deferred').describe('Deferred requests (Avro switchyard.v1.Deferred).'),
    deadLetter: topicName.default('requests.dead-letter').describe('Dead letters (Avro switchyard.v1.DeadLetter).'),
    outcomes: topicName.default('outcomes').describe('Execution outcomes (Avro switchyard.v1.Outcome).'),
    routedTemplate: z
      .string()
      .refine((t) => t.split(MODEL_PLACEHOLDER).length === 2, `must contain ${MODEL_PLACEHOLDER} exactly once`)
      .refine((t) => isLegalTopicName(t.replace(MODEL_PLACEHOLDER, 'm')), 'must give a legal topic name around {model}')
      .default('routed.{model}')
      .describe('Per-model batch topic; {model} is replaced by the sanitised model name.'),
    partitions: positiveInt.default(6).describe('Partitions for topics the services create.'),
    replicationFactor: positiveInt.default(1).describe('Replication factor for topics the services create.'),
  })
  .strict();

const tenantId = z
  .string()
  .regex(/^[a-zA-Z0-9._-]+$/, 'must be usable in a topic name ([a-zA-Z0-9._-]) and an ACL, so it is never rewritten')
  .max(200);

export const tenancySchema = z
  .object({
    tenants: z
      .array(tenantId)
      .default([])
      .describe(
        "Tenants with a request topic of their own. A record read from a tenant's topic belongs to that tenant whatever its body says (a body naming another tenant is dead-lettered as tenant_mismatch): who may write to the topic is decided by the broker's ACLs, which the body cannot forge.",
      ),
    topicTemplate: z
      .string()
      .refine((t) => t.split(TENANT_PLACEHOLDER).length === 2, `must contain ${TENANT_PLACEHOLDER} exactly once`)
      .refine((t) => isLegalTopicName(t.replace(TENANT_PLACEHOLDER, 't')), 'must give a legal topic name around {tenant}')
      .default('requests.{tenant}')
      .describe('Request topic of each tenant; {tenant} is replaced by the tenant id.'),
    sharedTopic: z
      .enum(['trusted', 'off'])
      .optional()
      .describe(
        "The shared topics.requests topic: trusted (consumed, the tenant named in each body is believed, as anyone who may write to the topic can name any tenant) or off (not consumed). Default: trusted when no tenants are listed, off when some are, so isolation is never weakened by a default.",
      ),
  })
  .strict();

export const modelSchema = z
  .object({
    name: z.string().min(1).describe('Model name as used in data and outcomes.'),
    tokensPerMinute: positiveInt.describe('Token budget per minute window (prompt + completion).'),
    tokensPerDay: positiveInt.optional().describe('Token budget per UTC day; omit for none.'),
    maxBatchTokens: positiveInt.describe('Upper bound on estimated tokens in one routed batch.'),
    maxBatchRequests: positiveInt.describe('Upper bound on requests in one routed batch.'),
    costPer1kPromptTokensUsd: z.number().min(0).optional().describe('Price of 1,000 prompt tokens in USD.'),
    costPer1kCompletionTokensUsd: z.number().min(0).optional().describe('Price of 1,000 completion tokens in USD.'),
    batchCostPer1kPromptTokensUsd: z.number().min(0).optional().describe('Batch-mode price of 1,000 prompt tokens in USD; defaults to the standard price.'),
    batchCostPer1kCompletionTokensUsd: z.number().min(0).optional().describe('Batch-mode price of 1,000 completion tokens in USD; defaults to the standard price.'),
  })
  .strict()
  .refine((m) => m.tokensPerDay === undefined || m.tokensPerDay >= m.tokensPerMinute, {
    message: 'tokensPerDay must be at least tokensPerMinute',
    path: ['tokensPerDay'],
  });

const budgetSchema = z
  .object({
    tokensPerMinute: positiveInt.optional().describe('Token cap per minute window.'),
    tokensPerDay: positiveInt.optional().describe('Token cap per UTC day.'),
    usdPerDay: z
      .number()
      .positive()
      .optional()
      .describe('Spend cap per UTC day in USD, enforced by the router through the shared dollar ledger (worst case reserved, settled to true cost); every model then needs both prices.'),
  })
  .strict();

export const budgetsSchema = z
  .object({
    tenants: z.record(z.string().min(1), budgetSchema).default({}).describe('Per-tenant caps, by tenant id.'),
    jobs: z.record(z.string().min(1), budgetSchema).default({}).describe('Per-job caps, by job id.'),
  })
  .strict();

export const routerSchema = z
  .object({
    instanceId: z.string().min(1).optional().describe('Stable id of this router instance (transactional id prefix); defaults to clientId.'),
    policy: z
      .looseObject({ policy: z.string().min(1).describe('Policy name: random, greedy-perf, greedy-cost, knn-perf, knn-cost, port, resolving-dual (ours: deprecated alias).') })
      .default({ policy: 'port' })
      .describe('Routing policy and its parameters; validated in full by the routing core (parsePolicyConfig).'),
    embeddingDim: positiveInt.optional().describe('Expected embedding dimension; requests with another length are dead-lettered.'),
    maxPromptChars: positiveInt.default(200_000).describe('Prompts longer than this (UTF-16 code units) are dead-lettered.'),
    maxPromptTokens: positiveInt.default(32_000).describe('Prompts with more tokens are dead-lettered.'),
    maxDeferrals: positiveInt.default(10).describe('Deferrals before a request is dead-lettered (max_deferrals_exceeded).'),
    deferDelayMs: positiveInt.default(60_000).describe('How long a deferred request waits before it is retried.'),
    maxModelAttempts: positiveInt
      .default(3)
      .describe('Models a request may fail on permanently (handed back by an executor with the model excluded) before it ends as an error outcome all_models_failed; it also ends so when no eligible model is left.'),
    maxInFlightBatches: positiveInt.default(2).describe('Consumer batches processed concurrently before the consumer is paused.'),
    maxDeadLetterBytes: positiveInt
      .default(1_048_064)
      .describe("Largest dead letter (key + value) written with the original record's bytes; above it the original value is left out (it stays readable at its source offset), so a record near the topic limit cannot make a dead letter the broker refuses. Keep it a few hundred bytes below the dead-letter topic's max.message.bytes (broker default 1048588)."),
  })
  .strict();

export const postgresSchema = z
  .object({
    connectionString: z.string().min(1).describe('postgres:// URL (password is redacted in logs).'),
    password: z.string().min(1).optional().describe('Password (secret); takes precedence over one in connectionString.'),
    passwordFile: secretFile('the password'),
    maxConnections: positiveInt.default(10).describe('Pool size.'),
    ssl: pgTlsSchema().describe('TLS to the server (node-postgres `ssl`); do not also put sslmode or other ssl* parameters in connectionString, which node-postgres lets override these.'),
  })
  .strict();

export const opsSchema = z
  .object({
    readyFailureMs: positiveInt
      .default(15_000)
      .describe(
        "/readyz answers 503 (and switchyard_ready is 0) once a dependency (kafka, registry, postgres) has been failing without a success in between for longer than this; 200 again at its first success. Long enough to ride out a broker's leader election or a Postgres fail-over without flapping.",
      ),
    maxFailureDurationMs: positiveInt
      .optional()
      .describe(
        'When set, a service whose dependency has been failing this long logs why, stops (bounded by its shutdown timeout) and exits with code 1, so that an orchestrator restarts it. At least readyFailureMs. Default: never; the service waits the outage out.',
      ),
  })
  .strict()
  .refine((o) => o.maxFailureDurationMs === undefined || o.maxFailureDurationMs >= o.readyFailureMs, {
    message: 'maxFailureDurationMs must be at least readyFailureMs (a service should report not ready before it gives up)',
    path: ['maxFailureDurationMs'],
  });

export const configSchema = z
  .object({
    kafka: kafkaSchema.default(() => kafkaSchema.parse({})).describe('Kafka connection.'),
    registry: registrySchema.default(() => registrySchema.parse({})).describe('Schema registry connection.'),
    postgres: postgresSchema
      .optional()
      .describe('Postgres connection; required by the services that record decisions and outcomes.'),
    topics: topicsSchema.default(() => topicsSchema.parse({})).describe('Topic names.'),
    tenancy: tenancySchema.default(() => tenancySchema.parse({})).describe('Where a request\'s tenant comes from: per-tenant request topics guarded by ACLs, or the shared topic.'),
    models: z.array(modelSchema).min(1).describe('Models to route to, with their token budgets. Env: JSON array.'),
    budgets: budgetsSchema.default({ tenants: {}, jobs: {} }).describe('Optional per-tenant and per-job budgets.'),
    batching: z
      .object({
        flushIntervalMs: positiveInt.default(1_000).describe('Flush a partly filled batch after this long.'),
      })
      .strict()
      .default({ flushIntervalMs: 1_000 })
      .describe('Batch sealing.'),
    workers: z
      .object({ poolSize: positiveInt.max(256).default(2).describe('Worker threads for embedding and scoring.') })
      .strict()
      .default({ poolSize: 2 })
      .describe('Worker pool.'),
    scoring: z
      .object({ backend: z.enum(['ts', 'gpujs', 'auto']).default('auto').describe('Score kernel: ts, gpujs, or auto (gpujs when a GPU is usable).') })
      .strict()
      .default({ backend: 'auto' })
      .describe('Batch scoring kernel.'),
    router: routerSchema.default(() => routerSchema.parse({})).describe('Router behaviour.'),
    ops: opsSchema.default(() => opsSchema.parse({})).describe('Failure signals: readiness and the exit after a long dependency outage.'),
    log: z
      .object({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info').describe('Log level.') })
      .strict()
      .default({ level: 'info' })
      .describe('Logging.'),
  })
  .strict();

export type ConfigInput = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;
