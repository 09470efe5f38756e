// The executor's configuration: the shared, frozen SwitchyardConfig (Kafka, registry, topics,
// models with prices) plus an `executorOpenai` section parsed here once and frozen. API keys
// come from a file or an environment variable named in the section; main.ts hands both sources
// in, so nothing below reads the environment. Keys never appear in logs (see redact).
import { z } from 'zod';
import { deepFreeze, redact } from '@switchyard/config';
import type { ModelPrice, SwitchyardConfig } from '@switchyard/config';

const positiveInt = z.number().int().positive();

const batchApiSchema = z
  .object({
    enabled: z.boolean().default(false).describe('Submit whole routed batches to the server\'s /v1/files + /v1/batches (OpenAI Batch API) when the requests\' deadlines allow.'),
    minBatchRequests: positiveInt.default(10).describe('Routed batches with fewer requests go per request: a provider batch costs an upload, a queue and polling.'),
    minTimeLeftMs: positiveInt.default(86_400_000).describe('Used only when every request of the routed batch has no deadline or at least this long left (default 24 h: the provider promises completion within its 24 h window, not sooner).'),
    fallbackMarginMs: positiveInt.default(600_000).describe('The provider batch is cancelled this long before the earliest request deadline, leaving the time to call its unanswered requests one by one.'),
    maxWaitMs: positiveInt.default(90_000_000).describe('Longest wait for one provider batch before it is cancelled (default 25 h: the 24 h window plus finalizing).'),
    pollIntervalMs: positiveInt.default(10_000).describe('First wait between two status reads; grows by half each time (jittered) up to maxPollIntervalMs.'),
    maxPollIntervalMs: positiveInt.default(300_000).describe('Longest wait between two status reads.'),
    requestTimeoutMs: positiveInt.default(120_000).describe('One Files or Batches HTTP call (an upload or download of a whole file) is abandoned and retried after this long.'),
    unanswered: z.enum(['per_request', 'error']).default('per_request').describe('Requests the provider batch did not answer (a retriable line error, a line missing, a batch expired, cancelled or failed): called one by one ("per_request"), or ended as errors with the reason ("error").'),
  })
  .strict();

const endpointSchema = z
  .object({
    baseUrl: z.url().describe('Base URL of an OpenAI-compatible API, up to and including /v1 (e.g. https://api.openai.com/v1, http://127.0.0.1:8000/v1 for vLLM, http://127.0.0.1:11434/v1 for Ollama).'),
    upstreamModel: z.string().min(1).optional().describe('Model name the server knows (e.g. gpt-4o-mini); default: the configured model name.'),
    apiKeyFile: z.string().min(1).optional().describe('File holding the API key (one trailing newline is dropped).'),
    apiKeyEnv: z.string().min(1).optional().describe('Environment variable holding the API key.'),
    concurrency: positiveInt.default(8).describe('Calls in flight at once to this model.'),
    requestsPerMinute: positiveInt.optional().describe('Request rate limit; none when absent.'),
    tokensPerMinute: positiveInt.optional().describe('Token rate limit (prompt + max output tokens reserved per call); none when absent.'),
    requestTimeoutMs: positiveInt.default(20_000).describe('One HTTP attempt is abandoned (and retried) after this long, or sooner when the request\'s time is up.'),
    batchApi: batchApiSchema.optional().describe('Provider batches (OpenAI Batch API) for this model; off when absent.'),
  })
  .strict()
  .refine((e) => !(e.apiKeyFile !== undefined && e.apiKeyEnv !== undefined), { message: 'give apiKeyFile or apiKeyEnv, not both', path: ['apiKeyEnv'] });

const retrySchema = z
  .object({
    maxAttempts: positiveInt.default(6).describe('HTTP attempts per request, the first included.'),
    baseDelayMs: positiveInt.default(500).describe('Backoff cap of the first retry; doubles per attempt (full jitter: a uniform draw below the cap).'),
    maxDelayMs: positiveInt.default(20_000).describe('Largest backoff wait; a server\'s Retry-After is honoured as given, within maxTotalMs.'),
    maxTotalMs: positiveInt.default(25_000).describe('Time one request may take, attempts and waits included; then it ends as an error outcome. At most half of kafka.transactionTimeoutMs.'),
  })
  .strict();

export const executorOpenaiSchema = z
  .object({
    models: z.record(z.string().min(1), endpointSchema).describe('Configured model name -> the endpoint serving it; only these models are executed.'),
    retry: retrySchema.default({ maxAttempts: 6, baseDelayMs: 500, maxDelayMs: 20_000, maxTotalMs: 25_000 }),
    segmentMetadataKey: z.string().min(1).default('task').describe('Request metadata key sent as the outcome segment header.'),
    groupIdPrefix: z.string().min(1).optional().describe('Consumer group per model is "<prefix>.<model topic>"; default "<kafka.clientId>.executor-openai".'),
    maxInFlightBatches: positiveInt.default(2).describe('Partitions executed concurrently per model.'),
    httpHost: z.string().default('0.0.0.0').describe('Interface of the ops endpoints.'),
    httpPort: z
      .number()
      .int()
      .min(0)
      .max(65_535)
      .nullable()
      .default(null)
      .describe('Ops endpoints (/metrics, /healthz, /readyz with the failure signals of Kafka and the registry); 0 picks a free port, null (default) serves none.'),
    onPermanentFailure: z
      .enum(['reroute', 'error'])
      .default('reroute')
      .describe('A request the model failed permanently (a 4xx other than 408/409/429, or 429/5xx/timeouts until the retry budget is spent): handed back to the router with the model excluded, to be routed to the next-ranked model ("reroute", in the transaction that consumes its batch; needs a router reading topics.deferred), or ended as an error outcome ("error").'),
  })
  .strict();

export type ExecutorOpenaiInput = z.input<typeof executorOpenaiSchema>;
export type ExecutorOpenaiSettings = Readonly<z.output<typeof executorOpenaiSchema>>;
export type RetrySettings = ExecutorOpenaiSettings['retry'];
export type BatchApiSettings = Readonly<z.output<typeof batchApiSchema>>;

/** Everything one model's executor needs, compiled from both sections. */
export interface ModelEndpoint {
  readonly model: string;
  readonly upstreamModel: string;
  /** Base URL up to and including /v1. */
  readonly baseUrl: string;
  readonly chatCompletionsUrl: string;
  readonly apiKey: string | null;
  readonly concurrency: number;
  readonly requestsPerMinute: number | null;
  readonly tokensPerMinute: number | null;
  readonly requestTimeoutMs: number;
  readonly price: ModelPrice;
  /** Provider batch settings; null when the batch API is not used for this model. */
  readonly batchApi: BatchApiSettings | null;
}

export interface ExecutorOpenaiConfig {
  readonly switchyard: SwitchyardConfig;
  readonly service: ExecutorOpenaiSettings;
  readonly endpoints: readonly ModelEndpoint[];
}

export class ExecutorOpenaiConfigError extends Error {
  override readonly name = 'ExecutorOpenaiConfigError';
  readonly code = 'invalid_config' as const;
  readonly retriable = false;
}

export function parseExecutorOpenaiConfig(input: unknown): ExecutorOpenaiSettings {
  const r = executorOpenaiSchema.safeParse(input ?? {});
  if (!r.success) {
    const detail = r.error.issues.map((i) => `executorOpenai.${i.path.join('.') || '(root)'}: ${i.message} (${i.code})`).join('; ');
    throw new ExecutorOpenaiConfigError(`invalid executor-openai config: ${detail}`, { cause: r.error });
  }
  return deepFreeze(r.data);
}

/** Where keys come from; main.ts passes process.env and node:fs. */
export interface KeySources {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readFile: (path: string) => string;
}

export function compileExecutorOpenaiConfig(switchyard: SwitchyardConfig, service: ExecutorOpenaiSettings, keys: KeySources): ExecutorOpenaiConfig {
  const issues: string[] = [];
  const endpoints: ModelEndpoint[] = [];
  for (const [model, e] of Object.entries(service.models)) {
    const configured = switchyard.models.find((m) => m.name === model);
    if (configured === undefined) {
      issues.push(`executorOpenai.models.${model}: not a configured model`);
      continue;
    }
    let apiKey: string | null = null;
    if (e.apiKeyFile !== undefined) {
      try {
        apiKey = keys.readFile(e.apiKeyFile).replace(/\r?\n$/, '');
      } catch (err) {
        // The reason and the path only; never the content.
        const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : 'unreadable';
        issues.push(`executorOpenai.models.${model}.apiKeyFile: cannot read ${e.apiKeyFile} (${code})`);
      }
    } else if (e.apiKeyEnv !== undefined) {
      apiKey = keys.env[e.apiKeyEnv] ?? null;
      if (apiKey === null || apiKey.length === 0) issues.push(`executorOpenai.models.${model}.apiKeyEnv: ${e.apiKeyEnv} is not set`);
    }
    endpoints.push({
      model,
      upstreamModel: e.upstreamModel ?? model,
      baseUrl: e.baseUrl.replace(/\/+$/, ''),
      chatCompletionsUrl: `${e.baseUrl.replace(/\/+$/, '')}/chat/completions`,
      apiKey,
      concurrency: e.concurrency,
      requestsPerMinute: e.requestsPerMinute ?? null,
      tokensPerMinute: e.tokensPerMinute ?? null,
      requestTimeoutMs: e.requestTimeoutMs,
      price: {
        costPer1kPromptTokensUsd: configured.costPer1kPromptTokensUsd,
        costPer1kCompletionTokensUsd: configured.costPer1kCompletionTokensUsd,
        batchCostPer1kPromptTokensUsd: configured.batchCostPer1kPromptTokensUsd,
        batchCostPer1kCompletionTokensUsd: configured.batchCostPer1kCompletionTokensUsd,
      },
      batchApi: e.batchApi?.enabled === true ? e.batchApi : null,
    });
    // The provider batch id is remembered in Postgres, so a restart resumes instead of paying twice.
    if (e.batchApi?.enabled === true && switchyard.postgres === undefined) issues.push(`executorOpenai.models.${model}.batchApi: needs the postgres section (provider batches in flight are remembered there)`);
  }
  if (endpoints.length === 0 && issues.length === 0) issues.push('executorOpenai.models: name at least one configured model');
  // A batch executes inside a Kafka transaction: every request must settle, retries included,
  // well before the broker aborts it.
  if (service.retry.maxTotalMs * 2 > switchyard.kafka.transactionTimeoutMs) {
    issues.push(`executorOpenai.retry.maxTotalMs (${service.retry.maxTotalMs} ms) must be at most half of kafka.transactionTimeoutMs (${switchyard.kafka.transactionTimeoutMs} ms)`);
  }
  if (issues.length > 0) throw new ExecutorOpenaiConfigError(`invalid executor-openai config: ${issues.join('; ')}`);
  return deepFreeze({ switchyard, service, endpoints });
}

/** The loggable form: API keys replaced by "[redacted]" (redact matches the `apiKey` name). */
export function redactedEndpoints(endpoints: readonly ModelEndpoint[]): unknown {
  return redact(endpoints);
}
