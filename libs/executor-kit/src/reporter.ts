// Report outcomes with one call, for executors that do not run inside startExecutor (their
// own consumer, another queue, a batch API that answers hours later). Delivery is
// at-least-once through an idempotent producer: a retry after an unclear failure may write the
// outcome twice, which the outcome recorder treats as a duplicate (it keys outcomes by request
// id and ignores an identical event).
import type { IHeaders, Kafka, Producer } from 'kafkajs';
import { AvroSerde, contracts } from '@switchyard/contracts';
import type { OutcomeV2, RegistryPort } from '@switchyard/contracts';
import { classifyKafkaError } from '@switchyard/kafka-io';
import { ExecutorKitError } from './errors.ts';
import { checkOutcome, SEGMENT_HEADER, MAX_SEGMENT_CHARS } from './outcome.ts';

export interface OutcomeReporterOptions {
  readonly kafka: Kafka;
  readonly registry: RegistryPort;
  /** The outcomes topic (config `topics.outcomes`). */
  readonly topic: string;
  /** Register the Outcome schema under `<topic>-value` if missing (default true). */
  readonly autoRegister?: boolean;
}

export interface ReportOptions {
  /** Task or cluster of the request, sent as the `switchyard-segment` header. */
  readonly segment?: string | null;
}

export type ReportResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'invalid_outcome' | 'invalid_segment'; readonly detail: string };

/** Kafka record for an outcome: key = requestId (so all events of a request share a partition). */
export function outcomeRecord(serde: AvroSerde<OutcomeV2>, outcome: OutcomeV2, segment: string | null): { key: string; value: Buffer; headers?: IHeaders } {
  return {
    key: outcome.requestId,
    value: serde.encode(outcome),
    ...(segment !== null ? { headers: { [SEGMENT_HEADER]: Buffer.from(segment, 'utf8') } } : {}),
  };
}

export class OutcomeReporter {
  private readonly producer: Producer;
  private readonly serde: AvroSerde<OutcomeV2>;
  private readonly topic: string;
  private closed = false;

  private constructor(producer: Producer, serde: AvroSerde<OutcomeV2>, topic: string) {
    this.producer = producer;
    this.serde = serde;
    this.topic = topic;
  }

  static async create(options: OutcomeReporterOptions): Promise<OutcomeReporter> {
    if (options.topic.length === 0) throw new ExecutorKitError('invalid_options', 'topic must not be empty');
    let serde: AvroSerde<OutcomeV2>;
    try {
      serde = await AvroSerde.forTopic(options.registry, options.topic, contracts.outcome, { autoRegister: options.autoRegister ?? true });
    } catch (cause) {
      throw new ExecutorKitError('registry', `cannot resolve the Outcome schema for ${options.topic}`, { cause });
    }
    const producer = options.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    try {
      await producer.connect();
    } catch (cause) {
      throw new ExecutorKitError('kafka', 'cannot connect the outcome producer', { cause: classifyKafkaError(cause) });
    }
    return new OutcomeReporter(producer, serde, options.topic);
  }

  /** Validates and sends one outcome; resolves once the broker acknowledged it (acks=all). */
  async report(outcome: OutcomeV2, options: ReportOptions = {}): Promise<ReportResult> {
    const results = await this.reportMany([{ outcome, ...(options.segment !== undefined ? { segment: options.segment } : {}) }]);
    return results[0]!;
  }

  /**
   * Sends several outcomes in one produce request. Invalid ones come back as values and are not
   * sent; the valid ones are sent together.
   */
  async reportMany(items: readonly { readonly outcome: OutcomeV2; readonly segment?: string | null }[]): Promise<ReportResult[]> {
    if (this.closed) throw new ExecutorKitError('stopped', 'reporter is closed');
    const results: ReportResult[] = [];
    const messages: { key: string; value: Buffer; headers?: IHeaders }[] = [];
    for (const item of items) {
      const segment = item.segment ?? null;
      if (segment !== null && (segment.length === 0 || segment.length > MAX_SEGMENT_CHARS || segment === '*')) {
        results.push({ ok: false, reason: 'invalid_segment', detail: `segment must be 1..${MAX_SEGMENT_CHARS} characters and not "*"` });
        continue;
      }
      const checked = checkOutcome(item.outcome);
      if (!checked.ok) {
        results.push({ ok: false, reason: 'invalid_outcome', detail: checked.detail });
        continue;
      }
      messages.push(outcomeRecord(this.serde, checked.value, segment));
      results.push({ ok: true });
    }
    if (messages.length > 0) {
      try {
        await this.producer.send({ topic: this.topic, acks: -1, messages });
      } catch (cause) {
        const error = classifyKafkaError(cause);
        throw new ExecutorKitError('kafka', `sending ${messages.length} outcome(s) to ${this.topic} failed`, { cause: error, retriable: error.retriable });
      }
    }
    return results;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.producer.disconnect();
  }
}
