// The executor: one executor-kit executor per configured model, each calling that model's
// OpenAI-compatible endpoint for the requests routed to it.
import type { Logger } from 'pino';
import { pino } from 'pino';
import { startModelExecutors } from '@switchyard/executor-kit';
import type { ModelExecutorsHandle } from '@switchyard/executor-kit';
import { sleep } from '@switchyard/kafka-io';
import type { CallDeps } from './call.ts';
import type { ExecutorOpenaiConfig } from './config.ts';
import { createModelRunner } from './execute.ts';

export interface StartExecutorOpenaiOptions {
  readonly logger?: Logger;
  /** Replaces global fetch and the clock (tests). */
  readonly deps?: Partial<CallDeps>;
}

export type ExecutorOpenaiHandle = ModelExecutorsHandle;

// Left of the transaction for producing outcomes and committing after the last call settles.
const COMMIT_MARGIN_MS = 2_000;

export async function startExecutorOpenai(config: ExecutorOpenaiConfig, options: StartExecutorOpenaiOptions = {}): Promise<ExecutorOpenaiHandle> {
  const sy = config.switchyard;
  const svc = config.service;
  const log = options.logger ?? pino({ level: sy.log.level, base: { service: 'executor-openai' } });
  const deps: CallDeps = {
    fetch: options.deps?.fetch ?? ((url, init) => fetch(url, init)),
    now: options.deps?.now ?? Date.now,
    sleep: options.deps?.sleep ?? sleep,
    random: options.deps?.random ?? Math.random,
  };
  // The kit starts no batch after half the transaction timeout; the batch runs in the other half.
  const batchBudgetMs = Math.max(1_000, sy.kafka.transactionTimeoutMs / 2 - COMMIT_MARGIN_MS);
  const endpoints = new Map(config.endpoints.map((e) => [e.model, e]));
  return startModelExecutors(sy, {
    service: 'executor-openai',
    models: config.endpoints.map((e) => e.model),
    groupIdPrefix: svc.groupIdPrefix,
    segmentMetadataKey: svc.segmentMetadataKey,
    maxInFlightBatches: svc.maxInFlightBatches,
    log,
    executeFor: (model, mlog) => {
      const endpoint = endpoints.get(model)!;
      const runner = createModelRunner(endpoint, svc.retry, deps);
      mlog.info({ upstreamModel: endpoint.upstreamModel, url: endpoint.chatCompletionsUrl }, 'endpoint');
      return (batch, ctx) => runner.executeBatch(batch, deps.now() + batchBudgetMs, ctx.signal);
    },
  });
}
