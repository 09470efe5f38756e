// Wires the router: reference set + worker pool, serdes, budgets, policy, the routing step, two
// transactional runners (requests, and deferred requests coming due), Postgres decisions,
// metrics and the ops endpoints. Startable in-process (tests) or from main.ts (a process).
//
// Per input slice, in this order:
//   1. the routing step decides (no side effects outside this process, except budget leases),
//   2. decisions are upserted into Postgres,
//   3. the handler returns and the runner commits the outputs and the input offset in ONE
//      Kafka transaction.
// A crash after 2 and before 3 re-processes the slice: its outputs were never committed, and
// the decision rows are overwritten by the replay (see libs/store decisions.ts). A crash after
// budget leases were taken but before 3 only leaves those tokens counted: budgets can be
// under-used after a crash, never exceeded.
import { pino } from 'pino';
import type { Logger } from 'pino';
import type { KafkaMessage } from 'kafkajs';
import { AvroSerde, contracts, createRegistryClient, createRequestValidator } from '@switchyard/contracts';
import type { HeaderV1, RoutedBatchV1 } from '@switchyard/contracts';
import { TransactionalRunner, createKafka, ensureTopics, sleep } from '@switchyard/kafka-io';
import type { BatchInput, BatchOutput, RunnerEvent } from '@switchyard/kafka-io';
import { WindowBudgetLedger } from '@switchyard/routing-core';
import { acquireBudgetLeases, createPool, recordDecisions, releaseBudgetLeases } from '@switchyard/store';
import type { RouterConfig } from './config.ts';
import { budgetRulesOf, embeddingDimOf } from './config.ts';
import { startOpsServer } from '@switchyard/ops';
import { createRouterMetrics } from './metrics.ts';
import { createPolicyHolder, policyBudgetsUsd } from './policy-holder.ts';
import { buildSharedReference } from './reference.ts';
import { RoutingStep } from './routing-step.ts';
import type { BudgetStorePort, InputRecord } from './routing-step.ts';
import { createScoringPool, resolveBackend } from './scoring-pool.ts';

export interface StartRouterOptions {
  readonly logger?: Logger;
  readonly clock?: () => number;
  /** Process-level metrics (CPU, heap, event loop); off for several routers in one process. */
  readonly defaultMetrics?: boolean;
}

export interface RouterHandle {
  /** Port of the ops server (metrics, health, readiness). */
  readonly httpPort: number;
  /** Settles when the router has stopped; rejects when it stopped on a fatal error. */
  readonly done: Promise<void>;
  /** Graceful: finishes in-flight slices (commit or abort), then closes everything. Idempotent. */
  stop(): Promise<void>;
}

function headersOf(message: KafkaMessage): HeaderV1[] {
  const out: HeaderV1[] = [];
  for (const [key, raw] of Object.entries(message.headers ?? {})) {
    const values = Array.isArray(raw) ? raw : [raw];
    for (const v of values) {
      if (v === undefined) continue;
      out.push({ key, value: typeof v === 'string' ? Buffer.from(v, 'utf8') : v });
    }
  }
  return out;
}

export async function startRouter(config: RouterConfig, options: StartRouterOptions = {}): Promise<RouterHandle> {
  const sy = config.switchyard;
  const svc = config.service;
  const log = options.logger ?? pino({ level: sy.log.level, base: { service: 'router', instance: sy.router.instanceId } });
  const clock = options.clock ?? Date.now;
  let state: 'booting' | 'running' | 'stopping' | 'stopped' | 'failed' = 'booting';
  const cleanups: (() => Promise<void>)[] = [];
  const runCleanups = async (): Promise<void> => {
    while (cleanups.length > 0) {
      const c = cleanups.pop()!;
      await c().catch((err: unknown) => log.warn({ err }, 'cleanup step failed'));
    }
  };

  const ledger = new WindowBudgetLedger(budgetRulesOf(sy), svc.ledger === 'postgres' ? 'leased' : 'local');
  let queueDepth = (): number => 0;
  const metrics = createRouterMetrics({ queueDepth: () => queueDepth(), budgetUsage: () => ledger.usage(clock()) }, options.defaultMetrics ?? true);
  const ops = await startOpsServer(svc.httpHost, svc.httpPort, metrics.registry, {
    live: () => state !== 'failed',
    ready: () => state === 'running',
  });
  cleanups.push(() => ops.close());
  log.info({ port: ops.port }, 'ops endpoints listening');

  try {
    for (const [scope, caps] of [['tenant', sy.budgets.tenants], ['job', sy.budgets.jobs]] as const) {
      for (const [name, cap] of Object.entries(caps)) {
        if (cap.usdPerDay !== undefined) log.warn({ scope, name }, 'usdPerDay budgets are not enforced by the router (token budgets only)');
      }
    }
    const t0 = performance.now();
    const reference = await buildSharedReference(config);
    log.info({ source: reference.source, rows: reference.nRows, dim: reference.dim, ms: Math.round(performance.now() - t0) }, 'reference set built');

    const backend = resolveBackend(sy.scoring.backend, { nQueries: svc.scoreChunkRequests, nModels: reference.modelIds.length });
    log.info({ configured: sy.scoring.backend, chosen: backend.kind, measurements: backend.measurements, excluded: backend.excluded }, 'scoring backend');
    const pool = await createScoringPool({
      reference,
      ann: svc.ann,
      backend: backend.kind,
      threads: sy.workers.poolSize,
      maxQueue: svc.poolMaxQueue,
    });
    cleanups.push(() => pool.destroy());
    queueDepth = () => pool.queueDepth();
    log.info({ threads: sy.workers.poolSize, ann: svc.ann }, 'scoring workers ready');

    const pg = createPool(
      { url: sy.postgres!.connectionString, poolMax: sy.postgres!.maxConnections, applicationName: `switchyard-router-${sy.router.instanceId}` },
      { onIdleClientError: (err) => log.warn({ err }, 'idle Postgres client failed') },
    );
    cleanups.push(() => pg.end());
    const budgetStore: BudgetStorePort | null =
      svc.ledger === 'postgres'
        ? { acquire: (items) => acquireBudgetLeases(pg, items), release: (items) => releaseBudgetLeases(pg, items) }
        : null;

    const registry = createRegistryClient({
      url: sy.registry.url,
      username: sy.registry.username,
      password: sy.registry.password,
      requestTimeoutMs: sy.registry.requestTimeoutMs,
    });
    const requestSerde = await AvroSerde.forTopic(registry, sy.topics.requests, contracts.request);
    const deferredSerde = await AvroSerde.forTopic(registry, sy.topics.deferred, contracts.deferred);
    const deadLetterSerde = await AvroSerde.forTopic(registry, sy.topics.deadLetter, contracts.deadLetter);
    const routedSerdes = new Map<string, AvroSerde<RoutedBatchV1>>();
    for (const m of sy.models) {
      routedSerdes.set(m.name, await AvroSerde.forTopic(registry, sy.topics.routedByModel[m.name]!, contracts.routedBatch));
    }

    const kafka = createKafka(sy.kafka, {
      role: `router-${sy.router.instanceId}`,
      logLevel: 'warn',
      onLog: (r) => log[r.level === 'error' ? 'error' : r.level === 'warn' ? 'warn' : 'debug']({ kafka: r.namespace, ...r.extra }, r.message),
    });
    const topicSpec = (topic: string) => ({ topic, partitions: sy.topics.partitions, replicationFactor: sy.topics.replicationFactor });
    const ensured = await ensureTopics(kafka, [
      topicSpec(sy.topics.requests),
      topicSpec(sy.topics.deferred),
      topicSpec(sy.topics.deadLetter),
      ...sy.models.map((m) => topicSpec(sy.topics.routedByModel[m.name]!)),
    ]);
    if (ensured.created.length > 0) log.info({ topics: ensured.created }, 'created topics');

    const policies = await createPolicyHolder(sy.router.policy, policyBudgetsUsd(sy.models, reference.usdPerToken), svc.expectedRequestsPerDay);
    const step = new RoutingStep({
      config: sy,
      requestSerde,
      deferredSerde,
      deadLetterSerde,
      routedSerdeFor: (model) => routedSerdes.get(model)!,
      validate: createRequestValidator({
        embeddingDim: embeddingDimOf(config),
        maxPromptChars: sy.router.maxPromptChars,
        maxPromptTokens: sy.router.maxPromptTokens,
        knownModels: sy.models.map((m) => m.name),
      }),
      score: (task) => pool.score(task),
      policies,
      ledger,
      budgetStore,
      usdPerToken: reference.usdPerToken,
      embeddingDim: embeddingDimOf(config),
      chunkRequests: svc.scoreChunkRequests,
      clock,
    });

    const handler = async (input: BatchInput): Promise<BatchOutput> => {
      const records: InputRecord[] = input.messages.map((m) => ({
        topic: input.topic,
        partition: input.partition,
        offset: m.offset,
        key: m.key,
        value: m.value,
        headers: headersOf(m),
      }));
      const result = await step.run(records);
      if (result.decisions.length > 0) {
        const w0 = performance.now();
        const written = await recordDecisions(pg, result.decisions);
        metrics.observeDecisionsWritten(written, (performance.now() - w0) / 1_000);
      }
      metrics.observeStep(result.stats, input.topic);
      if (result.processed === 0) {
        // The first record is a deferral that is not due: wait for it (bounded, so the other
        // deferred partitions get their turn), then let the runner read it again.
        const waitMs = Math.min(svc.deferredPollMs, Math.max(0, (result.pauseUntilMs ?? clock()) - clock()));
        await sleep(waitMs, input.signal).catch(() => undefined);
        const first = input.messages[0]!.offset;
        return { records: [], lastProcessedOffset: (BigInt(first) - 1n).toString() };
      }
      const last = input.messages[result.processed - 1]!.offset;
      return {
        records: result.messages.map((m) => ({ topic: m.topic, key: m.key, value: m.value })),
        lastProcessedOffset: last,
      };
    };

    const onEvent = (event: RunnerEvent): void => {
      switch (event.type) {
        case 'committed':
          metrics.observeTransaction('committed');
          log.debug(event, 'slice committed');
          return;
        case 'aborted':
          metrics.observeTransaction('aborted');
          log.warn({ topic: event.topic, partition: event.partition, firstOffset: event.firstOffset, attempt: event.attempt, err: event.error }, 'slice aborted; it will be re-read');
          return;
        case 'fenced':
          metrics.observeTransaction('fenced');
          log.warn({ topic: event.topic, partition: event.partition }, 'producer fenced: another instance owns the partition');
          return;
        case 'repositioned':
          metrics.observeTransaction('repositioned');
          log.info(event, 'partition repositioned to its committed offset');
          return;
        case 'fatal':
          log.error({ err: event.error }, 'runner failed');
          return;
        case 'paused':
        case 'resumed':
          log.debug({ event: event.type }, 'fetching backpressure');
          return;
        default:
          log.info({ event }, 'runner event');
      }
    };
    const groupId = svc.groupId ?? `${sy.kafka.clientId}.router`;
    const common = {
      kafka,
      transactionalIdPrefix: `${sy.kafka.clientId}-router`,
      handler,
      transactionTimeoutMs: sy.kafka.transactionTimeoutMs,
      sessionTimeoutMs: svc.sessionTimeoutMs ?? sy.kafka.sessionTimeoutMs,
      heartbeatIntervalMs: sy.kafka.heartbeatIntervalMs,
      maxBytesPerPartition: svc.fetchMaxBytesPerPartition,
      fromBeginning: svc.fromBeginning,
      retry: sy.kafka.retry,
      isBackpressured: () => pool.queueDepth() >= svc.backpressureQueueDepth,
      onEvent,
    };
    const requestsRunner = new TransactionalRunner({ ...common, groupId, topics: [sy.topics.requests], maxInFlightBatches: sy.router.maxInFlightBatches });
    // Deferred records wait in their partition until due; a group of their own keeps that wait
    // from ever holding a requests partition.
    const deferredRunner = new TransactionalRunner({ ...common, groupId: `${groupId}.deferred`, topics: [sy.topics.deferred], maxInFlightBatches: 1 });
    cleanups.push(() => requestsRunner.stop());
    cleanups.push(() => deferredRunner.stop());
    await requestsRunner.start();
    await deferredRunner.start();
    state = 'running';
    log.info({ groupId, policy: policies.name, ledger: svc.ledger, models: sy.models.map((m) => m.name) }, 'router running');

    let stopping: Promise<void> | null = null;
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        if (state === 'running') state = 'stopping';
        log.info('stopping: finishing in-flight slices');
        await runCleanups();
        if (state !== 'failed') state = 'stopped';
        log.info('router stopped');
      })();
      return stopping;
    };
    const done = Promise.all([requestsRunner.done, deferredRunner.done]).then(
      () => stop(),
      async (err: unknown) => {
        state = 'failed';
        await stop();
        throw err;
      },
    );
    // A fatal runner error surfaces through `done`; this keeps it from being unhandled when
    // the caller only ever calls stop().
    done.catch(() => undefined);
    return { httpPort: ops.port, done, stop };
  } catch (err) {
    state = 'failed';
    log.error({ err }, 'router failed to start');
    await runCleanups();
    throw err;
  }
}
