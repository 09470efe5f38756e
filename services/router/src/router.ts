// Wires the router shell around the routing engine: the engine (reference set, worker pool,
// policy, budgets), Postgres (decisions, budget lease ownership, feedback), two transactional
// runners (requests, and deferred requests coming due), metrics and the ops endpoints.
// Startable in-process (tests, the demo's own wiring) or from main.ts (a process).
//
// A slice's path is in slice-handler.ts. A crash after its decisions are written and before
// the Kafka commit re-processes the slice: its outputs were never committed, and the decision
// rows are overwritten by the replay (libs/store decisions.ts). Budget leases (postgres
// ledger) are owned by this incarnation (lease-owner.ts); a slice settles its leases before
// its decisions are written, so a crash leaves only unsettled leases of decisions that never
// committed, and any instance reclaims them once the owner's TTL has passed. Until then
// budgets are under-used, never exceeded. Dollar budgets (job budgets from the jobs table,
// usdPerDay caps from config) are reserved per slice in Postgres (usd-session.ts).
import { pino } from 'pino';
import type { Logger } from 'pino';
import { createRegistryClient, reportingRegistry, unreadableDeadLetter } from '@switchyard/contracts';
import type { AvroSerde, DeadLetterV1 } from '@switchyard/contracts';
import { ConsumerLagMonitor, TransactionalRunner, createKafka, ensureTopics } from '@switchyard/kafka-io';
import type { OutputRecord, RunnerEvent, UnreadableInput } from '@switchyard/kafka-io';
import { createEngine } from '@switchyard/routing-engine';
import type { RouterConfig, RoutingEngine } from '@switchyard/routing-engine';
import { UsdBudgetGate, createPool, postgresConfigOf, recordDecisions } from '@switchyard/store';
import type { Pool } from '@switchyard/store';
import { DependencyHealth, startOpsServer } from '@switchyard/ops';
import { FeedbackPoller } from './feedback-poller.ts';
import { kafkaBatchHandler } from './kafka-slices.ts';
import { startLeaseOwnership } from './lease-owner.ts';
import { createRouterMetrics } from './metrics.ts';
import type { RouterMetrics } from './metrics.ts';
import { runnerEventHandler } from './runner-events.ts';
import { createSliceHandler } from './slice-handler.ts';
import { SliceTracer } from './slice-tracing.ts';

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
  /** Failure clocks of Kafka, the registry and Postgres (readiness; the process exit after ops.maxFailureDurationMs). */
  readonly health: DependencyHealth;
}

export interface FeedbackInspection {
  /** Rows of the reference set (built + appended from outcomes) the workers search. */
  referenceRows(): number;
  /** Outcomes applied so far (each request once). */
  appliedOutcomes(): number;
  /** Reads and applies new outcomes now (the timer does this every pollIntervalMs). */
  poll(): Promise<number>;
}

type State = 'booting' | 'running' | 'stopping' | 'stopped' | 'failed';

/** Cleanups run last-registered first. */
class Cleanups {
  readonly #steps: (() => Promise<void>)[] = [];
  constructor(private readonly log: Logger) {}
  push(step: () => Promise<void>): void {
    this.#steps.push(step);
  }
  async run(): Promise<void> {
    while (this.#steps.length > 0) {
      const c = this.#steps.pop()!;
      await c().catch((err: unknown) => this.log.warn({ err }, 'cleanup step failed'));
    }
  }
}

export async function startRouter(config: RouterConfig, options: StartRouterOptions = {}): Promise<RouterHandle> {
  const sy = config.switchyard;
  const svc = config.service;
  const log = options.logger ?? pino({ level: sy.log.level, base: { service: 'router', instance: sy.router.instanceId } });
  const clock = options.clock ?? Date.now;
  let state: State = 'booting';
  const cleanups = new Cleanups(log);
  let engine: RoutingEngine | null = null;
  const metrics = createRouterMetrics({ queueDepth: () => engine?.queueDepth() ?? 0, budgetUsage: () => engine?.budgetUsage(clock()) ?? [] }, options.defaultMetrics ?? true);
  const health = new DependencyHealth({ readyFailureMs: sy.ops.readyFailureMs, maxFailureDurationMs: sy.ops.maxFailureDurationMs });
  const ops = await startOpsServer(svc.httpHost, svc.httpPort, metrics.registry, {
    live: () => state !== 'failed',
    ready: () => state === 'running',
    health,
  });
  cleanups.push(() => ops.close());
  log.info({ port: ops.port }, 'ops endpoints listening');

  try {
    engine = await startEngine(config, clock, log, cleanups, health);
    const pg = createPool(
      postgresConfigOf(sy.postgres!, `switchyard-router-${sy.router.instanceId}`),
      { onIdleClientError: (err) => log.warn({ err }, 'idle Postgres client failed'), health: health.reporter('postgres') },
    );
    cleanups.push(() => pg.end());
    const leases = svc.ledger === 'postgres' ? await startLeaseOwnership(config, pg, log, metrics.registry) : null;
    if (leases !== null) cleanups.push(() => leases.stop());
    const poller = await startFeedback(config, engine, pg, log, metrics, clock, cleanups);
    const handleSlice = createSliceHandler({
      engine,
      budgetStore: leases?.store ?? null,
      usdGate: usdGateOf(config, pg, clock),
      instanceId: sy.router.instanceId,
      async writeDecisions(decisions) {
        const w0 = performance.now();
        const written = await recordDecisions(pg, decisions);
        metrics.observeDecisionsWritten(written, (performance.now() - w0) / 1_000);
      },
    });
    const queueDepth = engine.queueDepth;
    const tracer = new SliceTracer();
    const handler = kafkaBatchHandler(handleSlice, metrics, { deferredPollMs: svc.deferredPollMs, clock, tracer });
    const runners = await startRunners(config, log, metrics, { handler, tracer }, () => queueDepth() >= svc.backpressureQueueDepth, cleanups, unreadableDeadLetters(config, engine.serdes.deadLetter, clock), health);
    state = 'running';
    log.info({ groupId: runners.groupId, policy: engine.policyName, ledger: svc.ledger, models: sy.models.map((m) => m.name) }, 'router running');

    let stopping: Promise<void> | null = null;
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        if (state === 'running') state = 'stopping';
        log.info('stopping: finishing in-flight slices');
        await cleanups.run();
        if (state !== 'failed') state = 'stopped';
        log.info('router stopped');
      })();
      return stopping;
    };
    const done = runners.done.then(
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
    const loop = engine.feedback;
    const inspection = loop === null || poller === null ? null : { referenceRows: () => loop.referenceRows, appliedOutcomes: () => loop.appliedOutcomes, poll: () => poller.poll() };
    return { httpPort: ops.port, done, stop, feedback: inspection, leaseOwner: leases?.ownerId ?? null, health };
  } catch (err) {
    state = 'failed';
    log.error({ err }, 'router failed to start');
    await cleanups.run();
    throw err;
  }
}

/**
 * The shared dollar ledger: each job's budget from the jobs table (set by submit) and the
 * usdPerDay caps of config. A job's budget is stored before any of its requests is sent and
 * never changes, so it is read once per job and TTL, not per slice; a slice none of whose
 * requests has a dollar scope makes no other Postgres call.
 */
function usdGateOf(config: RouterConfig, pg: Pool, clock: () => number): UsdBudgetGate {
  const sy = config.switchyard;
  const capsOf = (caps: Readonly<Record<string, { readonly usdPerDay?: number | undefined }>>) =>
    Object.fromEntries(Object.entries(caps).flatMap(([name, cap]) => (cap.usdPerDay === undefined ? [] : [[name, cap.usdPerDay]])));
  return new UsdBudgetGate(pg, {
    caps: { tenantUsdPerDay: capsOf(sy.budgets.tenants), jobUsdPerDay: capsOf(sy.budgets.jobs) },
    prices: new Map(sy.models.map((m) => [m.name, m])),
    jobBudgetTtlMs: JOB_BUDGET_TTL_MS,
    clock,
  });
}

const JOB_BUDGET_TTL_MS = 60_000;

async function startEngine(config: RouterConfig, clock: () => number, log: Logger, cleanups: Cleanups, health: DependencyHealth): Promise<RoutingEngine> {
  const sy = config.switchyard;
  const svc = config.service;
  const registry = reportingRegistry(
    createRegistryClient({
      url: sy.registry.url,
      username: sy.registry.username,
      password: sy.registry.password,
      requestTimeoutMs: sy.registry.requestTimeoutMs,
    }),
    health.reporter('registry'),
  );
  const engine = await createEngine(config, {
    clock,
    registry,
    ledger: svc.ledger === 'postgres' ? 'leased' : 'local',
    feedback: true,
    minResolveIntervalMs: svc.policyMinResolveIntervalMs,
  });
  cleanups.push(() => engine.close());
  const s = engine.startup;
  log.info({ source: s.referenceSource, rows: s.referenceRows, dim: s.dim, ms: s.referenceMs }, 'reference set built');
  log.info({ configured: s.backend.configured, chosen: s.backend.chosen, measurements: s.backend.measurements, excluded: s.backend.excluded }, 'scoring backend');
  log.info({ threads: sy.workers.poolSize, ann: svc.ann }, 'scoring workers ready');
  return engine;
}

async function startFeedback(
  config: RouterConfig,
  engine: RoutingEngine,
  pg: Pool,
  log: Logger,
  metrics: RouterMetrics,
  clock: () => number,
  cleanups: Cleanups,
): Promise<FeedbackPoller | null> {
  const loop = engine.feedback;
  if (loop === null) return null;
  const fbc = config.service.feedback;
  const poller = new FeedbackPoller(loop, pg, {
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
  log.info({ applied: restored.applied, skipped: Object.fromEntries(restored.skipped), referenceRows: loop.referenceRows, ms: Math.round(performance.now() - t1) }, 'feedback restored from stored outcomes');
  poller.start();
  cleanups.push(() => poller.stop());
  return poller;
}

/**
 * A record batch no codec can read is dead-lettered offset by offset and committed past
 * (kafka-io unreadable.ts): the partition moves on instead of the router crash-looping.
 */
function unreadableDeadLetters(config: RouterConfig, serde: AvroSerde<DeadLetterV1>, clock: () => number): (u: UnreadableInput) => OutputRecord[] {
  const sy = config.switchyard;
  return (u) => [{ topic: sy.topics.deadLetter, key: null, value: serde.encode(unreadableDeadLetter(u, `router/${sy.router.instanceId}`, clock())) }];
}

/** The tenants' own topics, and the shared one only where it is trusted (tenancy.sharedTopic). */
function requestTopicsOf(config: RouterConfig): string[] {
  const t = config.switchyard.tenancy;
  return [...(t.sharedTopic === 'trusted' ? [config.switchyard.topics.requests] : []), ...Object.keys(t.tenantByTopic)];
}

async function startRunners(
  config: RouterConfig,
  log: Logger,
  metrics: RouterMetrics,
  slices: { readonly handler: ConstructorParameters<typeof TransactionalRunner>[0]['handler']; readonly tracer: SliceTracer },
  isBackpressured: () => boolean,
  cleanups: Cleanups,
  onUnreadable: (u: UnreadableInput) => OutputRecord[],
  health: DependencyHealth,
): Promise<{ groupId: string; done: Promise<unknown> }> {
  const sy = config.switchyard;
  const svc = config.service;
  const kafka = createKafka(sy.kafka, {
    role: `router-${sy.router.instanceId}`,
    logLevel: 'warn',
    onLog: (r) => log[r.level === 'error' ? 'error' : r.level === 'warn' ? 'warn' : 'debug']({ kafka: r.namespace, ...r.extra }, r.message),
  });
  const topicSpec = (topic: string) => ({ topic, partitions: sy.topics.partitions, replicationFactor: sy.topics.replicationFactor });
  const requestTopics = requestTopicsOf(config);
  const ensured = await ensureTopics(kafka, [
    ...requestTopics.map(topicSpec),
    topicSpec(sy.topics.deferred),
    topicSpec(sy.topics.deadLetter),
    // A request every model failed ends with an outcome the router writes (all_models_failed).
    topicSpec(sy.topics.outcomes),
    ...sy.models.map((m) => topicSpec(sy.topics.routedByModel[m.name]!)),
  ]);
  if (ensured.created.length > 0) log.info({ topics: ensured.created }, 'created topics');
  const groupId = svc.groupId ?? `${sy.kafka.clientId}.router`;
  const onEvent = runnerEventHandler(log, metrics);
  const common = {
    kafka,
    transactionalIdPrefix: `${sy.kafka.clientId}-router`,
    handler: slices.handler,
    transactionTimeoutMs: sy.kafka.transactionTimeoutMs,
    sessionTimeoutMs: svc.sessionTimeoutMs ?? sy.kafka.sessionTimeoutMs,
    heartbeatIntervalMs: sy.kafka.heartbeatIntervalMs,
    maxBytesPerPartition: svc.fetchMaxBytesPerPartition,
    fromBeginning: svc.fromBeginning,
    retry: sy.kafka.retry,
    isBackpressured,
    onEvent: (event: RunnerEvent) => {
      onEvent(event);
      slices.tracer.onEvent(event);
    },
    onUnreadable,
    compression: sy.kafka.compression,
  };
  const requestsRunner = new TransactionalRunner({ ...common, groupId, topics: requestTopics, maxInFlightBatches: sy.router.maxInFlightBatches, minBytes: svc.fetchMinBytes, maxWaitTimeMs: svc.fetchMaxWaitMs, health: health.reporter('kafka', 'requests') });
  // Deferred records wait in their partition until due; a group of their own keeps that wait
  // from ever holding a requests partition.
  const deferredRunner = new TransactionalRunner({ ...common, groupId: `${groupId}.deferred`, topics: [sy.topics.deferred], maxInFlightBatches: 1, health: health.reporter('kafka', 'deferred') });
  // Both groups are left at once: a stop hands the partitions over as soon as it can.
  cleanups.push(async () => {
    await Promise.all([requestsRunner.stop(), deferredRunner.stop()]);
  });
  await requestsRunner.start();
  await deferredRunner.start();
  const lag = new ConsumerLagMonitor({
    kafka,
    targets: [
      { groupId, topics: requestTopics, stream: 'requests' },
      { groupId: `${groupId}.deferred`, topics: [sy.topics.deferred], stream: 'deferred' },
    ],
    intervalMs: svc.consumerLagPollMs,
    registry: metrics.registry,
    onError: (err) => log.warn({ err }, 'reading consumer lag failed; retrying at the next interval'),
  });
  await lag.start();
  cleanups.push(() => lag.stop());
  return { groupId, done: Promise.all([requestsRunner.done, deferredRunner.done]) };
}
