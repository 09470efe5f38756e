// The simulator's configuration: the shared, frozen SwitchyardConfig (Kafka, registry, topics,
// models with prices) plus an `executorSim` section parsed here once and frozen.
import { z } from 'zod';
import { defineServiceConfig } from '@switchyard/config';
import type { SwitchyardConfig } from '@switchyard/config';

const positiveInt = z.number().int().positive();

const datasetSchema = z.discriminatedUnion('source', [
  z
    .object({
      source: z.literal('dataset'),
      path: z.string().min(1).describe('Dataset path (RouterBench CSV folder or JSONL), as @switchyard/datasets loadDataset reads it.'),
      seed: z.number().int().default(1).describe('Seed of the history/test split (ids are looked up in both halves).'),
      countTokens: z.boolean().default(true).describe('Count tokens with cl100k_base (false: chars/4).'),
    })
    .strict(),
  z
    .object({
      source: z.literal('synthetic'),
      nHistory: positiveInt.default(2_000),
      nTest: positiveInt.default(2_000),
      seed: z.number().int().default(1),
    })
    .strict(),
]);

const latencySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('fixed'), ms: z.number().min(0) }).strict(),
  z.object({ kind: z.literal('uniform'), minMs: z.number().min(0), maxMs: z.number().min(0) }).strict().refine((l) => l.minMs <= l.maxMs, { message: 'minMs must be at most maxMs', path: ['maxMs'] }),
  z.object({ kind: z.literal('lognormal'), medianMs: z.number().positive(), sigma: z.number().min(0).max(5) }).strict(),
]);

const priceChangeSchema = z
  .object({
    model: z.string().min(1).describe('Configured model whose reported cost changes.'),
    factor: z.number().positive().describe('Multiplier on the true cost the model reports from the change on (3: the price triples).'),
    afterOutcomes: z.number().int().min(0).optional().describe('Starts once the simulator has executed this many distinct requests (all models).'),
    atMs: z.number().int().min(0).optional().describe('Starts at this epoch time in milliseconds (the simulator\'s clock).'),
  })
  .strict()
  .refine((c) => (c.afterOutcomes === undefined) !== (c.atMs === undefined), { message: 'set exactly one of afterOutcomes and atMs', path: ['afterOutcomes'] });

export const executorSimSchema = z
  .object({
    models: z.array(z.string().min(1)).optional().describe('Configured models to serve; default every configured model.'),
    dataset: datasetSchema.default({ source: 'synthetic', nHistory: 2_000, nTest: 2_000, seed: 1 }).describe('Where true outcomes come from; a generated dataset when absent.'),
    modelColumns: z.record(z.string().min(1), z.string().min(1)).default({}).describe('Configured model name -> dataset model name; identity when absent (synthetic data: by position).'),
    datasetIdKey: z.string().min(1).default('datasetId').describe('Request metadata key holding the dataset query id.'),
    segmentMetadataKey: z.string().min(1).default('task').describe('Request metadata key sent as the outcome segment header.'),
    latency: latencySchema.default({ kind: 'fixed', ms: 0 }).describe('Per-request latency distribution.'),
    sleep: z.boolean().default(true).describe('Wait for the batch latency (requests of a batch run concurrently: the longest one) before reporting.'),
    maxBatchSleepMs: positiveInt.default(10_000).describe('Upper bound on one batch wait, below kafka.transactionTimeoutMs.'),
    errorRate: z.number().min(0).max(1).default(0).describe('Share of requests that fail (error set, no completion).'),
    seed: z.number().int().default(1).describe('Seed of latency and error draws; each request draws from (seed, model, requestId), so replays give the same outcome.'),
    groupIdPrefix: z.string().min(1).optional().describe('Consumer group per model is "<prefix>.<model topic>"; default "<kafka.clientId>.executor-sim".'),
    maxInFlightBatches: positiveInt.default(2).describe('Partitions executed concurrently per model.'),
    priceChanges: z.array(priceChangeSchema).max(100).default([]).describe('Scheduled price changes: from a point in the run on, a model reports its true cost times a factor (the dataset keeps the old price).'),
    httpHost: z.string().default('0.0.0.0').describe('Interface of the ops endpoints.'),
    httpPort: z
      .number()
      .int()
      .min(0)
      .max(65_535)
      .nullable()
      .default(null)
      .describe('Ops endpoints (/metrics, /healthz, /readyz with the failure signals of Kafka and the registry); 0 picks a free port, null (default) serves none.'),
  })
  .strict();

export type ExecutorSimInput = z.input<typeof executorSimSchema>;
export type ExecutorSimSettings = Readonly<z.output<typeof executorSimSchema>>;
export type LatencySpec = ExecutorSimSettings['latency'];
export type PriceChangeSpec = ExecutorSimSettings['priceChanges'][number];

export interface ExecutorSimConfig {
  readonly switchyard: SwitchyardConfig;
  readonly service: ExecutorSimSettings;
}

export class ExecutorSimConfigError extends Error {
  override readonly name = 'ExecutorSimConfigError';
  readonly code = 'invalid_config' as const;
  readonly retriable = false;
}

export const parseExecutorSimConfig: (input: unknown) => ExecutorSimSettings = defineServiceConfig(executorSimSchema, {
  section: 'executorSim',
  label: 'executor-sim',
  error: (message, options) => new ExecutorSimConfigError(message, options),
});

export function compileExecutorSimConfig(switchyard: SwitchyardConfig, service: ExecutorSimSettings): ExecutorSimConfig {
  const names = new Set(switchyard.models.map((m) => m.name));
  const issues: string[] = [];
  for (const m of service.models ?? []) if (!names.has(m)) issues.push(`executorSim.models: ${m} is not a configured model`);
  for (const m of Object.keys(service.modelColumns)) if (!names.has(m)) issues.push(`executorSim.modelColumns.${m}: not a configured model`);
  service.priceChanges.forEach((c, i) => {
    if (!names.has(c.model)) issues.push(`executorSim.priceChanges.${i}.model: ${c.model} is not a configured model`);
  });
  if (service.sleep && service.maxBatchSleepMs * 2 > switchyard.kafka.transactionTimeoutMs) {
    issues.push('executorSim.maxBatchSleepMs: must be at most half of kafka.transactionTimeoutMs (a batch executes inside a transaction)');
  }
  if (issues.length > 0) throw new ExecutorSimConfigError(`invalid executor-sim config: ${issues.join('; ')}`);
  return Object.freeze({ switchyard, service });
}
