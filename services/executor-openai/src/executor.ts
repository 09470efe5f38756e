// The executor: one executor-kit executor per configured model, each calling that model's
// OpenAI-compatible endpoint for the requests routed to it, request by request or, where the
// model's batchApi allows, as one provider batch per routed batch.
import type { Logger } from 'pino';
import { pino } from 'pino';
import { dependencyHealthOf, startModelExecutors } from '@switchyard/executor-kit';
import type { ModelExecutorsHandle } from '@switchyard/executor-kit';
import { sleep } from '@switchyard/kafka-io';
import { createPool, postgresConfigOf } from '@switchyard/store';
import type { Pool } from '@switchyard/store';
import type { DependencyHealth } from '@switchyard/ops';
import type { CallDeps } from './call.ts';
import { createBatchClient } from './batch-client.ts';
import type { HttpFetch } from './batch-client.ts';
import type { ExecutorOpenaiConfig, ModelEndpoint } from './config.ts';
import { createModelRunner } from './execute.ts';
import { postgresLedger } from './ledger.ts';
import { createProviderBatchRunner } from './provider-batch.ts';
import type { ProviderBatchEvent, ProviderBatchLedger } from './provider-batch.ts';

export interface StartExecutorOpenaiOptions {
  readonly logger?: Logger;
  /** Replaces global fetch and the clock (tests); `batchFetch` serves the Files and Batches calls. */
  readonly deps?: Partial<CallDeps> & { readonly batchFetch?: HttpFetch };
  /** Replaces the Postgres memory of provider batches in flight (tests). */
  readonly ledger?: ProviderBatchLedger;
}

export type ExecutorOpenaiHandle = ModelExecutorsHandle;

// Left of the transaction for producing outcomes and committing after the last call settles.
const COMMIT_MARGIN_MS = 2_000;

function ledgerFor(config: ExecutorOpenaiConfig, options: StartExecutorOpenaiOptions, log: Logger, health: DependencyHealth): { ledger: ProviderBatchLedger | null; pool: Pool | null } {
  if (!config.endpoints.some((e) => e.batchApi !== null)) return { ledger: null, pool: null };
  if (options.ledger !== undefined) return { ledger: options.ledger, pool: null };
  const pool = createPool(postgresConfigOf(config.switchyard.postgres!, 'switchyard-executor-openai', 2), {
    onIdleClientError: (err) => log.warn({ err }, 'idle Postgres client failed'),
    health: health.reporter('postgres'),
  });
  return { ledger: postgresLedger(pool), pool };
}

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
  const batchFetch: HttpFetch = options.deps?.batchFetch ?? ((url, init) => fetch(url, init));
  // The kit starts no batch after half the transaction timeout; the batch runs in the other half.
  const batchBudgetMs = Math.max(1_000, sy.kafka.transactionTimeoutMs / 2 - COMMIT_MARGIN_MS);
  const endpoints = new Map(config.endpoints.map((e) => [e.model, e]));
  const health = dependencyHealthOf(sy);
  const { ledger, pool } = ledgerFor(config, options, log, health);
  const executeFor = (endpoint: ModelEndpoint, mlog: Logger) => {
    const runner = createModelRunner(endpoint, svc.retry, deps);
    const perRequest = (batch: Parameters<typeof runner.executeBatch>[0], signal: AbortSignal) => runner.executeBatch(batch, deps.now() + batchBudgetMs, signal);
    mlog.info({ upstreamModel: endpoint.upstreamModel, url: endpoint.chatCompletionsUrl, batchApi: endpoint.batchApi !== null }, 'endpoint');
    if (endpoint.batchApi === null || ledger === null) return perRequest;
    const api = createBatchClient({ baseUrl: endpoint.baseUrl, apiKey: endpoint.apiKey, requestTimeoutMs: endpoint.batchApi.requestTimeoutMs }, svc.retry, { ...deps, fetch: batchFetch });
    const onEvent = (e: ProviderBatchEvent): void => {
      if (e.type === 'not_submitted' || e.type === 'gave_up' || (e.type === 'ended' && e.unreadableLines > 0)) mlog.warn(e, 'provider batch');
      else mlog.info(e, 'provider batch');
    };
    const provider = createProviderBatchRunner(endpoint, endpoint.batchApi, api, ledger, perRequest, { ...deps, onEvent });
    return async (batch: Parameters<typeof runner.executeBatch>[0], signal: AbortSignal) => {
      const choice = await provider.decide(batch);
      if (!choice.use) {
        mlog.debug({ batchId: batch.batchId, why: choice.why }, 'routed batch executed per request');
        return perRequest(batch, signal);
      }
      return provider.run(batch, signal);
    };
  };
  try {
    const handle = await startModelExecutors(sy, {
      service: 'executor-openai',
      models: config.endpoints.map((e) => e.model),
      groupIdPrefix: svc.groupIdPrefix,
      segmentMetadataKey: svc.segmentMetadataKey,
      maxInFlightBatches: svc.maxInFlightBatches,
      http: { host: svc.httpHost, port: svc.httpPort },
      health,
      handBack: svc.onPermanentFailure === 'reroute',
      log,
      executeFor: (model, mlog) => {
        const execute = executeFor(endpoints.get(model)!, mlog);
        return (batch, ctx) => execute(batch, ctx.signal);
      },
    });
    if (pool === null) return handle;
    const done = handle.done.finally(() => pool.end().catch(() => undefined));
    return { ...handle, done, stop: () => handle.stop() };
  } catch (err) {
    await pool?.end().catch(() => undefined);
    throw err;
  }
}
