// Pure parts of the demo: fresh names for a run, the configuration of the services it starts,
// and the bulk job it submits (one JSONL line per query of the stream).
import type { ConfigInput } from '@switchyard/config';
import type { ExecutorSimInput, OutcomeRecorderInput, RouterServiceInput } from './services.ts';

export interface DemoTopics {
  readonly requests: string;
  readonly deferred: string;
  readonly deadLetter: string;
  readonly outcomes: string;
  readonly routedTemplate: string;
}

/** `demo-<base36 time>-<4 hex>`: unique per run, legal as a topic prefix, group id and job id. */
export function demoRunId(nowMs: number, random: () => number): string {
  const suffix = Math.floor(random() * 0x10000).toString(16).padStart(4, '0');
  return `demo-${nowMs.toString(36)}-${suffix}`;
}

export function demoTopics(runId: string): DemoTopics {
  return {
    requests: `${runId}.requests`,
    deferred: `${runId}.deferred`,
    deadLetter: `${runId}.dead-letter`,
    outcomes: `${runId}.outcomes`,
    routedTemplate: `${runId}.routed.{model}`,
  };
}

export type DemoReference =
  | { readonly source: 'dataset'; readonly path: string }
  | { readonly source: 'synthetic'; readonly nHistory: number; readonly nTest: number; readonly seed: number };

export interface DemoPlanInput {
  readonly runId: string;
  readonly kafkaBrokers: readonly string[];
  readonly registryUrl: string;
  readonly postgresUrl: string;
  readonly models: readonly string[];
  readonly reference: DemoReference;
  /** Per-model minute window: small enough that popular models fill up and traffic falls back. */
  readonly tokensPerMinute: number;
  readonly policy: string;
  readonly partitions: number;
  /** USD per 1,000 tokens per model (prompt and completion alike), so an HTTP executor's answers have a cost. */
  readonly pricesPer1kTokensUsd?: Readonly<Record<string, number>>;
}

export interface DemoServiceConfig {
  readonly shared: ConfigInput;
  readonly router: RouterServiceInput;
  readonly executorSim: ExecutorSimInput;
  readonly outcomeRecorder: OutcomeRecorderInput;
}

export function demoServiceConfig(p: DemoPlanInput): DemoServiceConfig {
  return {
    shared: {
      kafka: { brokers: [...p.kafkaBrokers], clientId: p.runId },
      registry: { url: p.registryUrl },
      postgres: { connectionString: p.postgresUrl, maxConnections: 4 },
      topics: { ...demoTopics(p.runId), partitions: p.partitions, replicationFactor: 1 },
      models: p.models.map((name) => {
        const price = p.pricesPer1kTokensUsd?.[name];
        const priced = price === undefined ? {} : { costPer1kPromptTokensUsd: price, costPer1kCompletionTokensUsd: price };
        return { name, tokensPerMinute: p.tokensPerMinute, maxBatchTokens: 16_000, maxBatchRequests: 32, ...priced };
      }),
      batching: { flushIntervalMs: 500 },
      workers: { poolSize: 1 },
      scoring: { backend: 'ts' },
      router: { instanceId: `${p.runId}-router`, policy: { policy: p.policy } },
      log: { level: 'info' },
    },
    router: {
      reference: p.reference.source === 'dataset' ? { source: 'dataset', path: p.reference.path } : { source: 'synthetic', nHistory: p.reference.nHistory, seed: p.reference.seed },
      ledger: 'postgres',
      httpHost: '127.0.0.1',
      httpPort: 0,
    },
    // The simulator replays each request's recorded outcome from the same data the stream came
    // from (the test split), found by metadata.datasetId; a generated stream is regenerated
    // from the same parameters, so its ids match.
    executorSim: {
      dataset: p.reference.source === 'dataset'
        ? { source: 'dataset', path: p.reference.path }
        : { source: 'synthetic', nHistory: p.reference.nHistory, nTest: p.reference.nTest, seed: p.reference.seed },
      latency: { kind: 'uniform', minMs: 20, maxMs: 200 },
    },
    outcomeRecorder: { instanceId: `${p.runId}-recorder`, httpHost: '127.0.0.1', httpPort: 0 },
  };
}

export interface StreamQuery {
  readonly id: string;
  readonly task: string;
  readonly prompt: string;
}

/** The dataset id travels in metadata.datasetId: the executor simulator replays that query's recorded outcome. */
export function jobLineOf(q: StreamQuery, maxOutputTokens: number): string {
  return JSON.stringify({ prompt: q.prompt, maxOutputTokens, metadata: { datasetId: q.id, task: q.task } });
}

/**
 * The same query as a line of an OpenAI Batch input file, the format a user already has: the
 * dataset id is the custom_id (results and late labels are keyed by it), `auto` lets the router
 * choose the model.
 */
export function openaiBatchLineOf(q: StreamQuery, maxOutputTokens: number): string {
  return JSON.stringify({
    custom_id: q.id,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: 'auto', messages: [{ role: 'user', content: q.prompt }], max_tokens: maxOutputTokens },
  });
}
