// The router's configuration: the shared, frozen SwitchyardConfig (Kafka, registry, topics,
// models and their token budgets, batching, workers, scoring, policy) plus the router's own
// section (where its reference set comes from, embedding, ANN, budget ledger, HTTP). It lives
// with the engine because file mode (`switchyard route`) reads the very same file; the engine
// itself reads only its part (reference, embedding, ann, scoring, policy, feedback model).
// Both halves are parsed once at the edge and frozen; nothing below reads the environment.
import { z } from 'zod';
import { CodedError, defineServiceConfig } from '@switchyard/config';
import type { SwitchyardConfig } from '@switchyard/config';
import type { BudgetRule } from '@switchyard/routing-core';

const positiveInt = z.number().int().positive();

const referenceSchema = z.discriminatedUnion('source', [
  z
    .object({
      source: z.literal('dataset'),
      path: z.string().min(1).describe('Dataset path (RouterBench CSV folder or JSONL); its history split is the reference set.'),
      seed: z.number().int().default(1).describe('Seed of the history/test split when the data does not say.'),
      countTokens: z.boolean().default(true).describe('Count reference tokens with cl100k_base (false: chars/4).'),
    })
    .strict(),
  z
    .object({
      source: z.literal('synthetic'),
      nHistory: positiveInt.default(2_000),
      seed: z.number().int().default(1),
    })
    .strict(),
]);

const FEEDBACK_DEFAULTS = {
  enabled: true,
  pollIntervalMs: 2_000,
  batchRows: 5_000,
  maxRows: 100_000,
  retentionDays: 30,
  widen: 4,
  projectionSeed: 1,
};

const feedbackSchema = z
  .object({
    enabled: z.boolean().default(FEEDBACK_DEFAULTS.enabled).describe('Learn from outcomes while running: store decision features, read outcomes back, grow the k-NN reference set, correct costs, explore (LinUCB).'),
    pollIntervalMs: positiveInt.default(FEEDBACK_DEFAULTS.pollIntervalMs).describe('How often new outcomes are read from Postgres.'),
    batchRows: positiveInt.max(100_000).default(FEEDBACK_DEFAULTS.batchRows).describe('Outcomes read per query while catching up.'),
    maxRows: positiveInt.max(1_000_000).default(FEEDBACK_DEFAULTS.maxRows).describe('Most outcome rows appended to the reference set (also what a restart rebuilds from: the newest stored outcomes).'),
    retentionDays: positiveInt.default(FEEDBACK_DEFAULTS.retentionDays).describe('Decision embeddings older than this are cleared (hourly).'),
    widen: positiveInt.max(16).default(FEEDBACK_DEFAULTS.widen).describe('With appended rows, k x widen neighbours are searched and each model averages its first k with a value.'),
    beta: z.number().min(0).optional().describe('LinUCB exploration weight; 0 turns the bonus off. Absent: the routing-core default (DEFAULT_FEEDBACK_OPTIONS).'),
    bonusTarget: z.enum(['quality', 'score']).optional().describe('Where the bonus goes: into d^ (the dual prices see it) or into the score. Absent: the routing-core default.'),
    correctCost: z.boolean().optional().describe('Scale each model\'s cost and token estimates by its observed/predicted ratio (relative to the other models, forgetting). Absent: the routing-core default (off).'),
    costPriorCount: z.number().min(0).optional().describe('Pseudo-outcomes at ratio 1 in the per-model cost correction. Absent: the routing-core default.'),
    projectionSeed: z.number().int().default(FEEDBACK_DEFAULTS.projectionSeed).describe('Seed of the LinUCB feature projection.'),
  })
  .strict();

const LEASE_DEFAULTS = { ttlMs: 30_000, heartbeatMs: 10_000, reclaimIntervalMs: 15_000 };

const leasesSchema = z
  .object({
    ttlMs: positiveInt.default(LEASE_DEFAULTS.ttlMs).describe('A lease owner that has not renewed for this long is dead: any instance may reclaim its unsettled budget leases.'),
    heartbeatMs: positiveInt.default(LEASE_DEFAULTS.heartbeatMs).describe('How often this instance renews its lease owner row.'),
    reclaimIntervalMs: positiveInt.default(LEASE_DEFAULTS.reclaimIntervalMs).describe('How often this instance reclaims expired owners\' leases.'),
  })
  .strict();

export const routerServiceSchema = z
  .object({
    reference: referenceSchema.describe('Where the k-NN reference set (past outcomes) comes from.'),
    modelColumns: z
      .record(z.string().min(1), z.string().min(1))
      .default({})
      .describe('Configured model name -> model name in the reference data; identity when absent.'),
    embedding: z
      .object({
        dim: positiveInt.default(256),
        projectTo: positiveInt.optional(),
        seed: z.number().int().optional(),
      })
      .strict()
      .default({ dim: 256 }),
    ann: z
      .object({
        kind: z.enum(['exact', 'hnsw', 'usearch']).default('usearch'),
        k: positiveInt.max(256).default(5).describe('Neighbours per query (PORT uses k = 5).'),
        weighting: z.enum(['uniform', 'similarity']).default('uniform'),
      })
      .strict()
      .default({ kind: 'usearch', k: 5, weighting: 'uniform' }),
    ledger: z
      .enum(['local', 'postgres'])
      .default('postgres')
      .describe('local: budgets counted in this process only (one instance); postgres: leased from a shared ledger so any number of instances stay within them.'),
    policyMinResolveIntervalMs: z
      .number()
      .min(0)
      .default(1_000)
      .describe('For policy resolving-dual, unless its own minResolveIntervalMs is set: at most one dual-price re-solve (an LP) per this many ms, so the LP cost stays flat as the request rate grows (0: every resolveEvery requests).'),
    expectedRequestsPerDay: positiveInt.default(100_000).describe('Stream length the dual-price policies plan a day window for.'),
    promptTokens: z
      .enum(['bounded-estimate', 'exact'])
      .default('bounded-estimate')
      .describe('How the workers count prompt tokens a request does not carry. bounded-estimate: a one-pass estimate (cl100k within -4% .. +2% for 80% of prompts), and the exact cl100k count only for a prompt whose byte length (a bound on its tokens) could reach router.maxPromptTokens or, with its output cap, a model\'s maxBatchTokens; dollar worst cases are always counted exactly. exact: cl100k for every prompt.'),
    scoreChunkRequests: positiveInt.max(8_192).default(512).describe('Requests per worker task.'),
    poolMaxQueue: positiveInt.default(64).describe('Worker tasks queued at most; a full queue holds the consumer (backpressure).'),
    groupId: z.string().min(1).optional().describe('Consumer group of the requests topic; default "<kafka.clientId>.router". Deferred records use "<groupId>.deferred".'),
    fromBeginning: z.boolean().default(true).describe('A new consumer group reads its topics from the start.'),
    deferredPollMs: positiveInt.default(1_000).describe('Longest wait on a deferred record that is not due, before other partitions get a turn.'),
    backpressureQueueDepth: positiveInt.default(48).describe('Pause fetching while this many scoring tasks wait.'),
    fetchMaxBytesPerPartition: positiveInt.default(1024 * 1024),
    fetchMinBytes: positiveInt
      .default(1)
      .describe('Requests topics: fewest bytes a fetch waits for (up to fetchMaxWaitMs) before its slices start. Larger values make fewer, larger slices at modest arrival rates (each slice costs a Kafka transaction and its statements), at the price of up to fetchMaxWaitMs of added latency.'),
    fetchMaxWaitMs: positiveInt
      .default(1_000)
      .describe('Requests topics: longest a fetch waits for fetchMinBytes (with the default 1 byte, for any record). A graceful stop waits for the fetch in flight.'),
    sessionTimeoutMs: positiveInt.optional().describe('Overrides kafka.sessionTimeoutMs for this consumer group.'),
    httpHost: z.string().default('0.0.0.0'),
    httpPort: z.number().int().min(0).max(65_535).default(9_464).describe('Metrics, health and readiness; 0 picks a free port.'),
    shutdownTimeoutMs: positiveInt.default(30_000),
    consumerLagPollMs: positiveInt.default(5_000).describe('How often the lag of the router\'s consumer groups is read from the broker (the switchyard_consumer_lag metric).'),
    feedback: feedbackSchema.default(FEEDBACK_DEFAULTS).describe('Outcome feedback in the running router.'),
    leases: leasesSchema.default(LEASE_DEFAULTS).describe('Ownership and expiry of budget leases (postgres ledger).'),
  })
  .strict();

export type RouterServiceInput = z.input<typeof routerServiceSchema>;
export type RouterServiceConfig = Readonly<z.output<typeof routerServiceSchema>>;

export interface RouterConfig {
  readonly switchyard: SwitchyardConfig;
  readonly service: RouterServiceConfig;
}

export class RouterConfigError extends CodedError<'invalid_config'> {
  override readonly name = 'RouterConfigError';
  constructor(message: string, options?: ErrorOptions) {
    super('invalid_config', message, false, options);
  }
}

export const parseRouterServiceConfig: (input: unknown) => RouterServiceConfig = defineServiceConfig(routerServiceSchema, {
  section: 'service',
  label: 'router service',
  error: (message, options) => new RouterConfigError(message, options),
});

/** Cross-checks the two halves; the shared config is already valid on its own. */
export function compileRouterConfig(switchyard: SwitchyardConfig, service: RouterServiceConfig): RouterConfig {
  const issues: string[] = [];
  const names = new Set(switchyard.models.map((m) => m.name));
  for (const name of Object.keys(service.modelColumns)) {
    if (!names.has(name)) issues.push(`service.modelColumns.${name}: not a configured model`);
  }
  if (service.ledger === 'postgres' && switchyard.postgres === undefined) {
    issues.push('service.ledger: "postgres" needs postgres.connectionString');
  }
  if (switchyard.postgres === undefined) issues.push('postgres.connectionString: the router records every decision in Postgres');
  if (switchyard.batching.flushIntervalMs * 2 > switchyard.kafka.transactionTimeoutMs) {
    issues.push('batching.flushIntervalMs: must be at most half of kafka.transactionTimeoutMs');
  }
  const dim = service.embedding.projectTo ?? service.embedding.dim;
  if (switchyard.router.embeddingDim !== undefined && switchyard.router.embeddingDim !== dim) {
    issues.push(`router.embeddingDim: ${switchyard.router.embeddingDim} differs from the embedder's dimension ${dim}`);
  }
  if (service.leases.heartbeatMs * 2 > service.leases.ttlMs) {
    issues.push('service.leases.heartbeatMs: must be at most half of leases.ttlMs, or a live instance may look dead');
  }
  if (issues.length > 0) throw new RouterConfigError(`invalid router config: ${issues.join('; ')}`);
  return Object.freeze({ switchyard, service });
}

export function embeddingDimOf(config: RouterConfig): number {
  return config.service.embedding.projectTo ?? config.service.embedding.dim;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/**
 * Budget rules from config: every model's minute and day windows, then per-tenant and per-job
 * caps. Rule ids are part of the durable ledger key, so they are derived from names only.
 */
export function budgetRulesOf(config: SwitchyardConfig): BudgetRule[] {
  const rules: BudgetRule[] = [];
  for (const m of config.models) {
    rules.push({ id: `model:${m.name}:minute`, scope: { kind: 'model', model: m.name }, windowMs: MINUTE_MS, limitTokens: m.tokensPerMinute });
    if (m.tokensPerDay !== undefined) {
      rules.push({ id: `model:${m.name}:day`, scope: { kind: 'model', model: m.name }, windowMs: DAY_MS, limitTokens: m.tokensPerDay });
    }
  }
  const scoped = (kind: 'tenant' | 'job', caps: SwitchyardConfig['budgets']['tenants']): void => {
    for (const [name, cap] of Object.entries(caps)) {
      const scope = kind === 'tenant' ? { kind, tenant: name } : { kind, jobId: name };
      if (cap.tokensPerMinute !== undefined) rules.push({ id: `${kind}:${name}:minute`, scope, windowMs: MINUTE_MS, limitTokens: cap.tokensPerMinute });
      if (cap.tokensPerDay !== undefined) rules.push({ id: `${kind}:${name}:day`, scope, windowMs: DAY_MS, limitTokens: cap.tokensPerDay });
    }
  };
  scoped('tenant', config.budgets.tenants);
  scoped('job', config.budgets.jobs);
  return rules;
}
