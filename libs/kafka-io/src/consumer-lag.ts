// Consumer lag of a service's own consumer groups, read with the admin API on a timer, off the
// path of any slice: per partition, the log-end offset minus the group's committed offset. The
// admin client lists offsets read_committed, so the end is the last stable offset: what a
// read_committed consumer can reach (records of an open transaction are not lag yet).
//
// Exported as Prometheus gauges (switchyard_consumer_lag, switchyard_consumer_committed_offset)
// for the alert rules in infra/prometheus: lag that keeps growing, and lag whose committed
// offset does not move (a stalled job).
import type { Admin, Kafka } from 'kafkajs';
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';

/** One consumer group of the service and the topics it reads. */
export interface LagTarget {
  readonly groupId: string;
  readonly topics: readonly string[];
  /** What the group consumes (requests, deferred, outcomes): alerts treat the streams apart. */
  readonly stream: string;
}

export interface PartitionLag {
  readonly groupId: string;
  readonly stream: string;
  readonly topic: string;
  readonly partition: number;
  readonly endOffset: number;
  /** Null while the group has committed nothing on this partition. */
  readonly committedOffset: number | null;
  readonly lag: number;
}

/** Offsets as kafkajs' admin returns them (int64 as decimal strings). */
export interface TopicEnds {
  readonly topic: string;
  readonly partitions: readonly { readonly partition: number; readonly low: string; readonly high: string }[];
}

export interface GroupCommits {
  readonly topic: string;
  readonly partitions: readonly { readonly partition: number; readonly offset: string }[];
}

/**
 * Lag per partition. A partition the group never committed on counts from the log start
 * offset: the services' groups read a new partition from the beginning (fromBeginning), so all
 * of it is still to be read. Lag is never negative: a committed offset past the end (a topic
 * recreated under the same name) reads as caught up, not as a negative backlog.
 */
export function partitionLags(target: LagTarget, ends: readonly TopicEnds[], commits: readonly GroupCommits[]): PartitionLag[] {
  const committed = new Map<string, bigint>();
  for (const t of commits) {
    for (const p of t.partitions) {
      const offset = BigInt(p.offset);
      if (offset >= 0n) committed.set(`${t.topic}\u0000${p.partition}`, offset);
    }
  }
  const rows: PartitionLag[] = [];
  for (const t of ends) {
    for (const p of [...t.partitions].sort((a, b) => a.partition - b.partition)) {
      const end = BigInt(p.high);
      const c = committed.get(`${t.topic}\u0000${p.partition}`);
      const from = c ?? BigInt(p.low);
      const lag = end > from ? end - from : 0n;
      rows.push({ groupId: target.groupId, stream: target.stream, topic: t.topic, partition: p.partition, endOffset: Number(end), committedOffset: c === undefined ? null : Number(c), lag: Number(lag) });
    }
  }
  return rows;
}

/** Reads the lag of one group over its topics now. */
export async function fetchConsumerLag(admin: Pick<Admin, 'fetchTopicOffsets' | 'fetchOffsets'>, target: LagTarget): Promise<PartitionLag[]> {
  const ends = await Promise.all(target.topics.map(async (topic) => ({ topic, partitions: await admin.fetchTopicOffsets(topic) })));
  const commits = await admin.fetchOffsets({ groupId: target.groupId, topics: [...target.topics] });
  return partitionLags(target, ends, commits);
}

export interface ConsumerLagMonitorOptions {
  readonly kafka: Pick<Kafka, 'admin'>;
  readonly targets: readonly LagTarget[];
  readonly intervalMs: number;
  readonly registry: Registry;
  /** A failed poll: the last values stay exported and the next interval tries again. */
  readonly onError: (err: unknown) => void;
}

/**
 * Polls the lag of the targets every `intervalMs` (one poll at a time, the next one scheduled
 * when the last has finished) and exports the latest values.
 */
export class ConsumerLagMonitor {
  readonly #o: ConsumerLagMonitorOptions;
  #admin: Admin | null = null;
  #rows: readonly PartitionLag[] = [];
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> = Promise.resolve();
  #stopped = false;
  readonly #polls: Counter;

  constructor(options: ConsumerLagMonitorOptions) {
    this.#o = options;
    const registers = [options.registry];
    const labelNames = ['group', 'stream', 'topic', 'partition'];
    const labelsOf = (r: PartitionLag) => ({ group: r.groupId, stream: r.stream, topic: r.topic, partition: String(r.partition) });
    const rows = (): readonly PartitionLag[] => this.#rows;
    new Gauge({
      name: 'switchyard_consumer_lag',
      help: 'Records a consumer group has still to read, per partition: log-end (last stable) offset minus committed offset, at the last lag poll.',
      labelNames,
      registers,
      collect() {
        this.reset();
        for (const r of rows()) this.set(labelsOf(r), r.lag);
      },
    });
    new Gauge({
      name: 'switchyard_consumer_committed_offset',
      help: 'The consumer group\'s committed offset per partition at the last lag poll (absent before its first commit).',
      labelNames,
      registers,
      collect() {
        this.reset();
        for (const r of rows()) if (r.committedOffset !== null) this.set(labelsOf(r), r.committedOffset);
      },
    });
    this.#polls = new Counter({ name: 'switchyard_consumer_lag_polls_total', help: 'Consumer lag polls, by result (ok, failed).', labelNames: ['result'], registers });
  }

  /** The values of the last successful poll. */
  latest(): readonly PartitionLag[] {
    return this.#rows;
  }

  /** Polls once now (errors go to onError), then every intervalMs until stop(). */
  async start(): Promise<void> {
    await this.poll();
    this.#schedule();
  }

  /** Reads every target's lag now; resolves when done, also after a failure (reported to onError). */
  poll(): Promise<void> {
    const next = this.#running.then(() => this.#pollOnce());
    this.#running = next;
    return next;
  }

  async #pollOnce(): Promise<void> {
    if (this.#stopped) return;
    try {
      if (this.#admin === null) {
        const admin = this.#o.kafka.admin();
        await admin.connect();
        this.#admin = admin;
      }
      const admin = this.#admin;
      const rows: PartitionLag[] = [];
      for (const target of this.#o.targets) rows.push(...(await fetchConsumerLag(admin, target)));
      this.#rows = rows;
      this.#polls.inc({ result: 'ok' });
    } catch (err) {
      this.#polls.inc({ result: 'failed' });
      // A fresh connection at the next poll: after a broker restart the old one may be dead.
      const admin = this.#admin;
      this.#admin = null;
      await admin?.disconnect().catch(() => undefined);
      this.#o.onError(err);
    }
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.poll().then(
        () => this.#schedule(),
        () => this.#schedule(),
      );
    }, this.#o.intervalMs);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running.catch(() => undefined);
    const admin = this.#admin;
    this.#admin = null;
    await admin?.disconnect().catch(() => undefined);
  }
}
