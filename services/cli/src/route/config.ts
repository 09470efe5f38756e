// Configuration of file mode when no router config file is given: the models of the reference
// data set, one token budget per model and minute, the policy. Pure (tested).
import type { ConfigInput } from '@switchyard/config';
import type { RouterServiceInput } from '@switchyard/routing-engine';

export interface FileModeInput {
  readonly models: readonly string[];
  readonly reference: { readonly source: 'dataset'; readonly path: string } | { readonly source: 'synthetic'; readonly nHistory: number; readonly seed: number };
  readonly tokensPerMinute: number;
  readonly policy: string;
  /** Price per 1,000 tokens per model (prompt and completion alike), for runs under a dollar budget. */
  readonly pricesPer1kTokensUsd?: Readonly<Record<string, number>> | undefined;
}

export function fileModeConfig(p: FileModeInput): { shared: ConfigInput; router: RouterServiceInput } {
  return {
    shared: {
      // Topic names only label the routing step's outputs here; nothing is sent to Kafka.
      topics: { requests: 'file.requests', deferred: 'file.deferred', deadLetter: 'file.dead-letter', routedTemplate: 'file.routed.{model}' },
      models: p.models.map((name) => {
        const price = p.pricesPer1kTokensUsd?.[name];
        const priced = price === undefined ? {} : { costPer1kPromptTokensUsd: price, costPer1kCompletionTokensUsd: price };
        return { name, tokensPerMinute: p.tokensPerMinute, maxBatchTokens: 16_000, maxBatchRequests: 32, ...priced };
      }),
      workers: { poolSize: 2 },
      scoring: { backend: 'ts' },
      router: { instanceId: 'file-mode', policy: { policy: p.policy } },
      log: { level: 'warn' },
    },
    router: {
      reference: p.reference.source === 'dataset' ? { source: 'dataset', path: p.reference.path } : { source: 'synthetic', nHistory: p.reference.nHistory, seed: p.reference.seed },
      ledger: 'local',
    },
  };
}
