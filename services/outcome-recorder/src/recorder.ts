// The outcome recorder: consumes the outcomes topic (read_committed, one consumer group),
// writes outcomes to Postgres idempotently with the statistics the router reads, and sends
// malformed events to the dead-letter topic.
//
// Delivery: each fetched slice of a partition is written to Postgres in one transaction
// (recordOutcomes) and then its offset commits in a Kafka transaction together with the
// slice's dead letters. A crash between the two re-reads the slice, and every event in it is
// then a duplicate in Postgres (same request id, same content): exactly once into Postgres by
// idempotency, exactly once into the dead-letter topic by the Kafka transaction.
import type { Logger } from 'pino';
import { pino } from 'pino';
import { Counter, Registry } from 'prom-client';
import { AvroSerde, contracts, createOutcomeValidator, createRegistryClient, reportingRegistry, unreadableDeadLetter } from '@switchyard/contracts';
import { ConsumerLagMonitor, TransactionalRunner, createKafka, ensureTopics } from '@switchyard/kafka-io';
import type { LagTarget } from '@switchyard/kafka-io';
import type { Kafka } from 'kafkajs';
import { createPool, postgresConfigOf } from '@switchyard/store';
import type { OutcomeRecorderConfig } from './config.ts';
import { outcomeSliceHandler } from './outcome-slice.ts';
import { DependencyHealth, startOpsServer } from '@switchyard/ops';

export interface StartOutcomeRecorderOptions {
  readonly logger?: Logger;
  /**
   * Fault-injection seam: awaited after a slice is in Postgres and its dead letters and offset
   * are sent, before the Kafka commit. Throwing there is the crash the idempotent write must
   * survive; delivery tests use it.
   */
  readonly beforeCommit?: (topic: string, partition: number) => void | Promise<void>;
}

export interface RecorderCounts {
  readonly consumed: number;
  readonly inserted: number;
  readonly replaced: number;
  readonly duplicates: number;
  readonly stale: number;
  readonly deadLettered: number;
}

export interface OutcomeRecorderHandle {
  /** Port of the metrics/health server; null when none is served. */
  readonly httpPort: number | null;
  /** Settles when the recorder stopped: resolves after stop(), rejects on a fatal error. */
  readonly done: Promise<void>;
  /** Totals since start (what this instance did; Postgres is the record). */
  counts(): RecorderCounts;
  stop(): Promise<void>;
  /** Failure clocks of Kafka, the registry and Postgres (readiness; the exit after ops.maxFailureDurationMs). */
  readonly health: DependencyHealth;
}

export async function startOutcomeRecorder(config: OutcomeRecorderConfig, options: StartOutcomeRecorderOptions = {}): Promise<OutcomeRecorderHandle> {
  const sy = config.switchyard;
  const svc = config.service;
  const log = options.logger ?? pino({ level: sy.log.level, base: { service: 'outcome-recorder', instance: svc.instanceId } });
  const groupId = svc.groupId ?? `${sy.kafka.clientId}.outcome-recorder`;
  const serviceName = `outcome-recorder/${svc.instanceId}`;
  const models = new Map(sy.models.map((m) => [m.name, m]));
  const validate = createOutcomeValidator({ knownModels: [...models.keys()] });
  const counts = { consumed: 0, inserted: 0, replaced: 0, duplicates: 0, stale: 0, deadLettered: 0 };

  const { metrics, written, dead, usd, txns } = recorderMetrics();

  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async (): Promise<void> => {
    for (const c of cleanups.reverse()) await c().catch((err: unknown) => log.warn({ err }, 'cleanup step failed'));
  };
  let state: 'starting' | 'running' | 'stopping' | 'stopped' = 'starting';
  const health = new DependencyHealth({ readyFailureMs: sy.ops.readyFailureMs, maxFailureDurationMs: sy.ops.maxFailureDurationMs });
  try {
    const pool = createPool(
      postgresConfigOf(sy.postgres!, `switchyard-outcome-recorder-${svc.instanceId}`, Math.max(2, sy.postgres!.maxConnections)),
      { onIdleClientError: (err) => log.warn({ err }, 'idle Postgres client failed'), health: health.reporter('postgres') },
    );
    cleanups.push(() => pool.end());
    const registry = reportingRegistry(
      createRegistryClient({ url: sy.registry.url, username: sy.registry.username, password: sy.registry.password, requestTimeoutMs: sy.registry.requestTimeoutMs }),
      health.reporter('registry'),
    );
    const outcomeSerde = await AvroSerde.forTopic(registry, sy.topics.outcomes, contracts.outcome);
    const deadLetterSerde = await AvroSerde.forTopic(registry, sy.topics.deadLetter, contracts.deadLetter);
    const kafka = createKafka(sy.kafka, {
      role: `outcome-recorder-${svc.instanceId}`,
      logLevel: 'warn',
      onLog: (r) => log[r.level === 'error' ? 'error' : r.level === 'warn' ? 'warn' : 'debug']({ kafka: r.namespace, ...r.extra }, r.message),
    });
    const spec = (topic: string) => ({ topic, partitions: sy.topics.partitions, replicationFactor: sy.topics.replicationFactor });
    await ensureTopics(kafka, [spec(sy.topics.outcomes), spec(sy.topics.deadLetter)]);

    const runner = new TransactionalRunner({
      kafka,
      groupId,
      topics: [sy.topics.outcomes],
      transactionalIdPrefix: groupId,
      maxInFlightBatches: svc.maxInFlightBatches,
      fromBeginning: svc.fromBeginning,
      sessionTimeoutMs: sy.kafka.sessionTimeoutMs,
      heartbeatIntervalMs: sy.kafka.heartbeatIntervalMs,
      transactionTimeoutMs: sy.kafka.transactionTimeoutMs,
      retry: sy.kafka.retry,
      compression: sy.kafka.compression,
      health: health.reporter('kafka'),
      onUnreadable: (u) => [{ topic: sy.topics.deadLetter, key: null, value: deadLetterSerde.encode(unreadableDeadLetter(u, serviceName, Date.now())) }],
      ...(options.beforeCommit !== undefined ? { beforeCommit: options.beforeCommit } : {}),
      onEvent: (e) => {
        if (e.type === 'committed') txns.inc({ result: 'committed' });
        else if (e.type === 'aborted') {
          txns.inc({ result: 'aborted' });
          log.warn({ err: e.error, topic: e.topic, partition: e.partition, offset: e.firstOffset, attempt: e.attempt }, 'slice failed; it will be re-read');
        } else if (e.type === 'fenced') txns.inc({ result: 'fenced' });
        else if (e.type === 'fatal') log.error({ err: e.error }, 'recorder gives up');
      },
      handler: outcomeSliceHandler({ pool, outcomeSerde, deadLetterSerde, validate, models, deadLetterTopic: sy.topics.deadLetter, serviceName, counts, written, dead, usd, log }),
    });
    await runner.start();
    cleanups.push(() => runner.stop());
    const lag = await startLagMonitor(kafka, { groupId, topics: [sy.topics.outcomes], stream: 'outcomes' }, svc.consumerLagPollMs, metrics, log);
    cleanups.push(() => lag.stop());
    let httpPort: number | null = null;
    if (svc.httpPort !== null) {
      const ops = await startOpsServer(svc.httpHost, svc.httpPort, metrics, { live: () => state !== 'stopped', ready: () => state === 'running', health });
      cleanups.push(() => ops.close());
      httpPort = ops.port;
    }
    state = 'running';
    log.info({ groupId, topic: sy.topics.outcomes, httpPort }, 'outcome recorder started');

    let stopping: Promise<void> | null = null;
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        state = 'stopping';
        await cleanup();
        state = 'stopped';
        log.info(counts, 'outcome recorder stopped');
      })();
      return stopping;
    };
    const done = runner.done.then(
      async () => {
        await stop();
      },
      async (err: unknown) => {
        await stop();
        throw err;
      },
    );
    done.catch(() => undefined);
    return { httpPort, done, counts: () => ({ ...counts }), stop, health };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

function recorderMetrics() {
  const metrics = new Registry();
  const registers = [metrics];
  return {
    metrics,
    written: new Counter({ name: 'outcome_recorder_outcomes_total', help: 'Outcome events handled, by what they did in Postgres.', labelNames: ['result'], registers }),
    dead: new Counter({ name: 'outcome_recorder_dead_letters_total', help: 'Outcome events dead-lettered, by reason.', labelNames: ['reason'], registers }),
    usd: new Counter({ name: 'outcome_recorder_usd_settlements_total', help: 'Dollar reservations settled to true cost, overrun, or left held because the outcome had no cost.', labelNames: ['result'], registers }),
    txns: new Counter({ name: 'outcome_recorder_transactions_total', help: 'Kafka transactions, by result.', labelNames: ['result'], registers }),
  };
}

/** The lag of the recorder's group, polled off the path of any slice (switchyard_consumer_lag). */
async function startLagMonitor(kafka: Kafka, target: LagTarget, intervalMs: number, registry: Registry, log: Logger): Promise<ConsumerLagMonitor> {
  const lag = new ConsumerLagMonitor({ kafka, targets: [target], intervalMs, registry, onError: (err) => log.warn({ err }, 'reading consumer lag failed; retrying at the next interval') });
  await lag.start();
  return lag;
}
