// The executor simulator: one executor-kit executor per served model, each replaying the
// dataset's true outcomes for the requests routed to that model.
import type { Logger } from 'pino';
import { pino } from 'pino';
import { createRegistryClient } from '@switchyard/contracts';
import { generateSyntheticDataset, loadDataset } from '@switchyard/datasets';
import type { Dataset } from '@switchyard/datasets';
import { startExecutor } from '@switchyard/executor-kit';
import type { ExecutorHandle } from '@switchyard/executor-kit';
import { createKafka, ensureTopics, sleep } from '@switchyard/kafka-io';
import type { ExecutorSimConfig } from './config.ts';
import { ExecutorSimConfigError } from './config.ts';
import { columnFor, indexDataset, simulateRequest } from './simulate.ts';
import type { TruthTable } from './simulate.ts';

export interface StartExecutorSimOptions {
  readonly logger?: Logger;
}

export interface ExecutorSimHandle {
  /** Settles when every executor stopped: resolves after stop(), rejects if one failed. */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

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

  const kafka = createKafka(sy.kafka, {
    role: 'executor-sim',
    logLevel: 'warn',
    onLog: (r) => log[r.level === 'error' ? 'error' : r.level === 'warn' ? 'warn' : 'debug']({ kafka: r.namespace, ...r.extra }, r.message),
  });
  const spec = (topic: string) => ({ topic, partitions: sy.topics.partitions, replicationFactor: sy.topics.replicationFactor });
  await ensureTopics(kafka, [spec(sy.topics.outcomes), spec(sy.topics.deadLetter), ...served.map((m) => spec(sy.topics.routedByModel[m]!))]);
  const registry = createRegistryClient({ url: sy.registry.url, username: sy.registry.username, password: sy.registry.password, requestTimeoutMs: sy.registry.requestTimeoutMs });

  const groupPrefix = svc.groupIdPrefix ?? `${sy.kafka.clientId}.executor-sim`;
  const executors: ExecutorHandle[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(executors.map((e) => e.stop()));
  };
  try {
    for (const model of served) {
      const topic = sy.topics.routedByModel[model]!;
      const table = truth.get(model)!;
      const mlog = log.child({ model });
      executors.push(
        await startExecutor({
          kafka,
          registry,
          model,
          routedTopic: topic,
          outcomesTopic: sy.topics.outcomes,
          deadLetterTopic: sy.topics.deadLetter,
          groupId: `${groupPrefix}.${topic}`,
          transactionalIdPrefix: `${groupPrefix}.${topic}`,
          segmentMetadataKey: svc.segmentMetadataKey,
          serviceName: `executor-sim/${model}`,
          maxInFlightBatches: svc.maxInFlightBatches,
          sessionTimeoutMs: sy.kafka.sessionTimeoutMs,
          heartbeatIntervalMs: sy.kafka.heartbeatIntervalMs,
          transactionTimeoutMs: sy.kafka.transactionTimeoutMs,
          retry: sy.kafka.retry,
          onEvent: (e) => {
            if (e.type === 'aborted' || e.type === 'fatal') mlog.warn({ event: e.type, err: e.error }, 'executor batch failed');
            else if (e.type === 'dead_lettered') mlog.warn({ reason: e.reason, detail: e.detail, offset: e.offset }, 'batch dead-lettered');
            else if (e.type === 'executed') mlog.debug({ batchId: e.batchId, requests: e.requests, errors: e.errors }, 'batch executed');
          },
          execute: async (batch, ctx) => {
            const results = batch.requests.map((r) => simulateRequest(model, r, table, svc));
            if (svc.sleep) {
              // The requests of a batch run concurrently: the batch takes as long as its slowest.
              const waitMs = Math.min(svc.maxBatchSleepMs, results.reduce((m, r) => Math.max(m, r.latencyMs), 0));
              if (waitMs > 0) await sleep(waitMs, ctx.signal);
            }
            return results;
          },
        }),
      );
      mlog.info({ topic }, 'executor started');
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  const done = Promise.all(executors.map((e) => e.done)).then(() => undefined);
  // A failure of one executor stops the others, so `done` settles for the whole simulator.
  done.catch(() => stopAll().catch(() => undefined));
  return { done, stop: stopAll };
}
