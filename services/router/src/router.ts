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
// the decision rows are overwritten by the replay (see libs/store decisions.ts). Budget leases
// (postgres ledger) are owned by this incarnation, which renews its owner row on a heartbeat;
// a slice settles its leases inside 1, so a crash leaves only unsettled leases of decisions
// that never committed, and any instance reclaims them once the owner's TTL has passed
// (libs/store decisions-budget.ts). Until then budgets are under-used, never exceeded.
//
// Feedback (service.feedback): decisions carry their features; a poller reads outcomes back
// from Postgres and grows every worker's reference set (feedback.ts).
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { Counter } from 'prom-client';
import type { Logger } from 'pino';
import type { KafkaMessage } from 'kafkajs';
import { AvroSerde, contracts, createRegistryClient, createRequestValidator, unreadableDeadLetter } from '@switchyard/contracts';
import type { HeaderV1, RoutedBatchV1 } from '@switchyard/contracts';
import { TransactionalRunner, createKafka, ensureTopics, sleep } from '@switchyard/kafka-io';
import type { BatchInput, BatchOutput, OutputRecord, RunnerEvent, UnreadableInput } from '@switchyard/kafka-io';
import { DEFAULT_FEEDBACK_OPTIONS, WindowBudgetLedger } from '@switchyard/routing-core';
import { acquireBudgetLeases, createPool, heartbeatLeaseOwner, postgresConfigOf, reclaimExpiredLeases, recordDecisions, retireLeaseOwner, settleOwnedLeases } from '@switchyard/store';
import type { RouterConfig } from './config.ts';
import { budgetRulesOf, embeddingDimOf } from './config.ts';
import { startOpsServer } from '@switchyard/ops';
import { FeedbackLoop, FeedbackPoller } from './feedback.ts';
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
  /** Null when feedback is off. */
  readonly feedback: FeedbackInspection | null;
  /** Owner id of this incarnation's budget leases; null with the local ledger. */
  readonly leaseOwner: string | null;
}

export interface FeedbackInspection {
  /** Rows of the reference set (built + appended from outcomes) the workers search. */
  referenceRows(): number;
  /** Outcomes applied so far (each request once). */
  appliedOutcomes(): number;
  /** Reads and applies new outcomes now (the timer does this every pollIntervalMs). */
  poll(): Promise<number>;
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

    const fbc = svc.feedback;
    const feedback = fbc.enabled
      ? new FeedbackLoop(reference, {
          // The library's measured defaults unless the config says otherwise.
          model: {
            ...DEFAULT_FEEDBACK_OPTIONS,
            costPriorCount: fbc.costPriorCount ?? DEFAULT_FEEDBACK_OPTIONS.costPriorCount,
            ucb: { ...DEFAULT_FEEDBACK_OPTIONS.ucb, beta: fbc.beta ?? DEFAULT_FEEDBACK_OPTIONS.ucb.beta },
            bonusTarget: fbc.bonusTarget ?? DEFAULT_FEEDBACK_OPTIONS.bonusTarget,
          },
          maxRows: fbc.maxRows,
          projectionSeed: fbc.projectionSeed,
        })
      : null;

    const backend = resolveBackend(sy.scoring.backend, { nQueries: svc.scoreChunkRequests, nModels: reference.modelIds.length });
    log.info({ configured: sy.scoring.backend, chosen: backend.kind, measurements: backend.measurements, excluded: backend.excluded }, 'scoring backend');
    const pool = await createScoringPool({
      reference,
      ann: svc.ann,
      backend: backend.kind,
      threads: sy.workers.poolSize,
      maxQueue: svc.poolMaxQueue,
      feedbackLog: feedback?.log ?? null,
      widen: fbc.widen,
    });
    cleanups.push(() => pool.destroy());
    queueDepth = () => pool.queueDepth();
    log.info({ threads: sy.workers.poolSize, ann: svc.ann }, 'scoring workers ready');

    const pg = createPool(
      postgresConfigOf(sy.postgres!, `switchyard-router-${sy.router.instanceId}`),
      { onIdleClientError: (err) => log.warn({ err }, 'idle Postgres client failed') },
    );
    cleanups.push(() => pg.end());
    let leaseOwner: string | null = null;
    let budgetStore: BudgetStorePort | null = null;
    if (svc.ledger === 'postgres') {
      const owner = { ownerId: `${sy.router.instanceId}/${randomUUID()}`, instanceId: sy.router.instanceId };
      const { ttlMs, heartbeatMs, reclaimIntervalMs } = svc.leases;
      await heartbeatLeaseOwner(pg, owner, ttlMs); // registration: "was alive" is false
      leaseOwner = owner.ownerId;
      const reclaimed = new Counter({ name: 'router_budget_leases_reclaimed_tokens_total', help: 'Tokens of expired instances\' unsettled leases this instance gave back to their windows.', registers: [metrics.registry] });
      const reclaim = async (): Promise<void> => {
        const r = await reclaimExpiredLeases(pg);
        reclaimed.inc(r.tokens);
        if (r.leases > 0 || r.owners.length > 0) log.info(r, 'reclaimed budget leases of expired instances');
      };
      await reclaim();
      const heartbeat = setInterval(() => {
        heartbeatLeaseOwner(pg, owner, ttlMs).then(
          (alive) => {
            if (!alive) log.warn({ owner: owner.ownerId }, 'lease owner had expired: unsettled leases may have been reclaimed (their slices will abort and be decided again)');
          },
          (err: unknown) => log.warn({ err }, 'lease heartbeat failed'),
        );
      }, heartbeatMs);
      const reclaimer = setInterval(() => {
        reclaim().catch((err: unknown) => log.warn({ err }, 'reclaiming expired leases failed'));
      }, reclaimIntervalMs);
      cleanups.push(async () => {
        clearInterval(heartbeat);
        clearInterval(reclaimer);
        await retireLeaseOwner(pg, owner.ownerId);
      });
      budgetStore = { acquire: (items) => acquireBudgetLeases(pg, items, { owner: owner.ownerId }), release: (items) => settleOwnedLeases(pg, owner.ownerId, items) };
    }

    let poller: FeedbackPoller | null = null;
    if (feedback !== null) {
      poller = new FeedbackPoller(feedback, pg, {
        pollIntervalMs: fbc.pollIntervalMs,
        batchRows: fbc.batchRows,
        maxRows: fbc.maxRows,
        retentionDays: fbc.retentionDays,
        log,
        registry: metrics.registry,
        clock,
      });
      const t1 = performance.now();
      const restored = await poller.restore();
      log.info({ applied: restored.applied, skipped: Object.fromEntries(restored.skipped), referenceRows: feedback.referenceRows, ms: Math.round(performance.now() - t1) }, 'feedback restored from stored outcomes');
      poller.start();
      const p = poller;
      cleanups.push(() => p.stop());
    }

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

    const policies = await createPolicyHolder(sy.router.policy, policyBudgetsUsd(sy.models, reference.usdPerToken), svc.expectedRequestsPerDay, {
      minResolveIntervalMs: svc.policyMinResolveIntervalMs,
      clock,
    });
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
      feedback,
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

    // A record batch no codec can read is dead-lettered offset by offset and committed past
    // (kafka-io unreadable.ts); the partition moves on instead of the router crash-looping.
    const unreadable = new Counter({ name: 'router_unreadable_records_total', help: 'Input offsets in record batches that could not be decoded (dead-lettered as unreadable_batch), by topic.', labelNames: ['topic'], registers: [metrics.registry] });
    const onUnreadable = (u: UnreadableInput): OutputRecord[] => [
      { topic: sy.topics.deadLetter, key: null, value: deadLetterSerde.encode(unreadableDeadLetter(u, `router/${sy.router.instanceId}`, clock())) },
    ];
    const onEvent = (event: RunnerEvent): void => {
      switch (event.type) {
        case 'unreadable':
          unreadable.inc({ topic: event.topic }, event.offsets);
          log.error({ topic: event.topic, partition: event.partition, ...event.batch, offsets: event.offsets }, 'record batch could not be decoded: dead-lettered and committed past');
          return;
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
        case 'consumer_restarting':
          log.warn({ attempt: event.attempt, delayMs: event.delayMs, err: event.error }, 'consumer stopped on a retriable error; starting it again after a backoff');
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
      onUnreadable,
      compression: sy.kafka.compression,
    };
    const requestsRunner = new TransactionalRunner({ ...common, groupId, topics: [sy.topics.requests], maxInFlightBatches: sy.router.maxInFlightBatches });
    // Deferred records wait in their partition until due; a group of their own keeps that wait
    // from ever holding a requests partition.
    const deferredRunner = new TransactionalRunner({ ...common, groupId: `${groupId}.deferred`, topics: [sy.topics.deferred], maxInFlightBatches: 1 });
    // Both groups are left at once: a stop hands the partitions over as soon as it can.
    cleanups.push(async () => {
      await Promise.all([requestsRunner.stop(), deferredRunner.stop()]);
    });
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
    const inspection =
      feedback === null || poller === null
        ? null
        : { referenceRows: () => feedback.referenceRows, appliedOutcomes: () => feedback.appliedOutcomes, poll: () => poller.poll() };
    return { httpPort: ops.port, done, stop, feedback: inspection, leaseOwner };
  } catch (err) {
    state = 'failed';
    log.error({ err }, 'router failed to start');
    await runCleanups();
    throw err;
  }
}
