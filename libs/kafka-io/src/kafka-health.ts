// What a transactional runner tells Kafka's failure clock (@switchyard/ops). Failures: a
// consumer crash or a transaction that failed on an outage (isKafkaOutage: connection, timeout,
// coordinator, ...; a rebalance or a fenced zombie is the group at work, and a handler's error
// is not Kafka's). Successes: a group join, a commit, and a heartbeat, but a heartbeat only
// while no partition's last transaction failed: the group coordinator may answer while a
// partition leader or the transaction coordinator does not.
import type { DependencyReporter } from '@switchyard/ops';
import { isKafkaOutage } from './errors.ts';
import type { KafkaIoError } from './errors.ts';

export class KafkaHealth {
  /** Partitions (topic NUL partition) whose last transaction failed on an outage. */
  readonly #failing = new Set<string>();

  constructor(private readonly reporter: DependencyReporter | undefined) {}

  joined(): void {
    // A new generation: partitions are handed out afresh.
    this.#failing.clear();
    this.reporter?.succeeded();
  }

  heartbeat(): void {
    if (this.#failing.size === 0) this.reporter?.succeeded();
  }

  committed(topic: string, partition: number): void {
    this.#failing.delete(`${topic}\u0000${partition}`);
    this.reporter?.succeeded();
  }

  /** A transaction of `topic[partition]` failed outside the handler. */
  transactionFailed(topic: string, partition: number, error: KafkaIoError): void {
    if (!isKafkaOutage(error)) return;
    this.#failing.add(`${topic}\u0000${partition}`);
    this.reporter?.failed(error);
  }

  consumerCrashed(error: KafkaIoError): void {
    if (isKafkaOutage(error)) this.reporter?.failed(error);
  }
}
