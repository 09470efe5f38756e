// The executor simulator: one executor-kit executor per served model, each replaying the
// dataset's true outcomes for the requests routed to that model.
import type { Logger } from 'pino';
import { pino } from 'pino';
import { generateSyntheticDataset, loadDataset } from '@switchyard/datasets';
import type { Dataset } from '@switchyard/datasets';
import { startModelExecutors } from '@switchyard/executor-kit';
import type { ModelExecutorsHandle } from '@switchyard/executor-kit';
import { sleep } from '@switchyard/kafka-io';
import type { ExecutorSimConfig } from './config.ts';
import { ExecutorSimConfigError } from './config.ts';
import { PriceSchedule } from './price-changes.ts';
import { columnFor, indexDataset, simulateRequest } from './simulate.ts';
import type { TruthTable } from './simulate.ts';

export interface StartExecutorSimOptions {
  readonly logger?: Logger;
  /** Clock of `priceChanges[].atMs`; default Date.now. */
  readonly clock?: () => number;
}

export type ExecutorSimHandle = ModelExecutorsHandle;

async function loadTruth(config: ExecutorSimConfig): Promise<Dataset> {
  const d = config.service.dataset;
  if (d.source === 'dataset') return loadDataset(d.path, { seed: d.seed, countTokens: d.countTokens });
  return generateSyntheticDataset({ nHistory: d.nHistory, nTest: d.nTest, models: config.switchyard.models.length, seed: d.seed });
}

export async function startExecutorSim(config: ExecutorSimConfig, options: StartExecutorSimOptions = {}): Promise<ExecutorSimHandle> {
  const sy = config.switchyard;
  const svc = config.service;
  const log = options.logger ?? pino({ level: sy.log.level, base: { service: 'executor-sim' } });
  const data = await loadTruth(config);
  const byId = indexDataset(data);
  const served = svc.models ?? sy.models.map((m) => m.name);
  const truth = new Map<string, TruthTable>();
  for (const name of served) {
    const position = sy.models.findIndex((m) => m.name === name);
    const column = columnFor(name, position, data, svc.modelColumns, svc.dataset.source === 'synthetic');
    if (column === null) throw new ExecutorSimConfigError(`model ${name}: the dataset has no column "${svc.modelColumns[name] ?? name}" (columns: ${data.models.join(', ')})`);
    truth.set(name, { column, byId });
  }
  log.info({ source: svc.dataset.source, queries: byId.size, models: served }, 'dataset loaded');
  const prices = new PriceSchedule(svc.priceChanges, options.clock);
  if (!prices.empty) log.info({ priceChanges: svc.priceChanges }, 'scheduled price changes');

  return startModelExecutors(sy, {
    service: 'executor-sim',
    models: served,
    groupIdPrefix: svc.groupIdPrefix,
    segmentMetadataKey: svc.segmentMetadataKey,
    maxInFlightBatches: svc.maxInFlightBatches,
    http: { host: svc.httpHost, port: svc.httpPort },
    log,
    executeFor: (model) => {
      const table = truth.get(model)!;
      return async (batch, ctx) => {
        const results = batch.requests.map((r) => {
          const result = simulateRequest(model, r, table, svc);
          if (prices.empty) return result;
          const factor = prices.factorFor(model, r.requestId);
          return factor === 1 || result.costUsd === null || result.costUsd === undefined ? result : { ...result, costUsd: result.costUsd * factor };
        });
        if (svc.sleep) {
          // The requests of a batch run concurrently: the batch takes as long as its slowest.
          const waitMs = Math.min(svc.maxBatchSleepMs, results.reduce((m, r) => Math.max(m, r.latencyMs), 0));
          if (waitMs > 0) await sleep(waitMs, ctx.signal);
        }
        return results;
      };
    },
  });
}
