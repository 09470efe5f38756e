// Configuration of file mode when no router config file is given: the models of the reference
// data set, one token budget per model and minute, the policy. Pure (tested).
import type { ConfigInput } from '@switchyard/config';
import type { RouterServiceInput } from '@switchyard/routing-engine';

export interface FileModeInput {
  readonly models: readonly string[];
  readonly reference: { readonly source: 'dataset'; readonly path: string } | { readonly source: 'synthetic'; readonly nHistory: number; readonly seed: number };
  readonly tokensPerMinute: number;
  readonly policy: string;
}

export function fileModeConfig(p: FileModeInput): { shared: ConfigInput; router: RouterServiceInput } {
  return {
    shared: {
      // Topic names only label the routing step's outputs here; nothing is sent to Kafka.
      topics: { requests: 'file.requests', deferred: 'file.deferred', deadLetter: 'file.dead-letter', routedTemplate: 'file.routed.{model}' },
      models: p.models.map((name) => ({ name, tokensPerMinute: p.tokensPerMinute, maxBatchTokens: 16_000, maxBatchRequests: 32 })),
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
