// `switchyard submit`: the shell around submitLines. Opens the source, records the job in
// Postgres, registers the request schema, produces with an idempotent producer, and prints
// the job id. Delivery: every good line is acknowledged by Kafka before the job is marked
// submitted; the idempotent producer keeps its own retries from duplicating records (KIP-98).
// A submission that fails half-way is re-run with the same job id and sends the same request
// ids again: the records already in Kafka are then there twice, with equal ids, and consumers
// that deduplicate by request id see each request once.
import { realpath, stat } from 'node:fs/promises';
import { Partitioners } from 'kafkajs';
import type { Producer } from 'kafkajs';
import { AvroSerde, contracts, createRegistryClient } from '@switchyard/contracts';
import { KafkaIoError, compressionTypeOf, createKafka, ensureTopics, withRetry } from '@switchyard/kafka-io';
import type { CompressionCodec } from '@switchyard/kafka-io';
import { kafkaConfigOf, openPool, postgresTargetOf, registryOf } from '../endpoints.ts';
import type { Endpoints } from '../endpoints.ts';
import { CliError } from '../errors.ts';
import { beginJob, finishJob, recordBadLines } from '@switchyard/store';
import { createProgress } from '../progress.ts';
import { openJobSource } from '../source/open.ts';
import type { SourceFormat } from '../source/record.ts';
import { JOB_ID_PATTERN, deriveJobId } from './request.ts';
import type { SubmitRequest } from './request.ts';
import { submitLines } from './submit.ts';
import { startSubmitTrace } from './tracing.ts';
import type { BadLine, SubmitProgress } from './submit.ts';

export interface SubmitCommandOptions {
  readonly file: string;
  readonly format?: SourceFormat | undefined;
  readonly jobId?: string | undefined;
  /** The router's model pool when known: lines pinned to another model are bad lines. */
  readonly knownModels?: readonly string[] | undefined;
  readonly tenant: string;
  readonly topic: string;
  /** Partitions of the requests topic when this command creates it. */
  readonly partitions: number;
  /** Compression of the request records (default none). */
  readonly compression?: CompressionCodec | undefined;
  readonly replicationFactor: number;
  readonly maxOutputTokens: number;
  readonly priority: number;
  /** The job's dollar budget and deadline (epoch ms), stored with the job before any request is sent. */
  readonly budgetUsd?: number | undefined;
  readonly deadlineMs?: number | undefined;
  /** Send the requests of a job that was already fully submitted again (same ids). */
  readonly force: boolean;
  readonly progress: boolean;
  /** Bad lines printed; all are counted, and the first `keepBadLines` are stored. */
  readonly printBadLines: number;
  readonly keepBadLines: number;
  readonly chunkMessages: number;
  readonly endpoints: Endpoints;
  readonly stderr: NodeJS.WritableStream;
  readonly clock?: () => number;
}

export type SubmitOutcome =
  | {
      readonly kind: 'submitted';
      readonly jobId: string;
      readonly attempt: 'new' | 'resubmitted';
      readonly linesRead: number;
      readonly produced: number;
      readonly bad: number;
      readonly badLines: readonly BadLine[];
      readonly elapsedMs: number;
    }
  | { readonly kind: 'already_submitted'; readonly jobId: string; readonly produced: number };

export async function runSubmit(opts: SubmitCommandOptions): Promise<SubmitOutcome> {
  const clock = opts.clock ?? Date.now;
  const say = (line: string): void => {
    opts.stderr.write(`${line}\n`);
  };
  if (opts.jobId !== undefined && !JOB_ID_PATTERN.test(opts.jobId)) {
    throw new CliError('invalid_arguments', `--job-id must match ${JOB_ID_PATTERN.source}`);
  }
  const source = await openJobSource(opts.file, opts.format);
  const path = await realpath(opts.file);
  const jobId = opts.jobId ?? deriveJobId({ tenant: opts.tenant, path, sizeBytes: source.sizeBytes, mtimeMs: (await stat(path)).mtimeMs });

  const pg = openPool(postgresTargetOf(opts.endpoints), 'switchyard-submit', 2);
  try {
    const begun = await beginJob(pg, { jobId, tenant: opts.tenant, source: path, sourceFormat: source.format, sourceBytes: source.sizeBytes, topic: opts.topic, submittedAtMs: clock(), budgetUsd: opts.budgetUsd ?? null, deadlineMs: opts.deadlineMs ?? null }, opts.force);
    if (begun.kind === 'conflict') throw new CliError('job_conflict', begun.detail);
    if (begun.kind === 'already_submitted') {
      say(`job ${jobId} was already submitted (${begun.previous.linesProduced} requests at ${begun.previous.submittedAt.toISOString()}); nothing sent. --force sends its requests again with the same ids.`);
      return { kind: 'already_submitted', jobId, produced: begun.previous.linesProduced };
    }
    if (begun.kind === 'resubmitting') say(`job ${jobId}: submitting again (attempt ${begun.previous.attempts + 1}); request ids are the same as before`);

    const kafka = createKafka(kafkaConfigOf(opts.endpoints), { role: 'submit', logLevel: 'error', onLog: (r) => say(`kafka ${r.level}: ${r.message}`) });
    // Retried: right after a create the broker can answer a metadata request with "does not
    // host this topic-partition" (retriable) before the new partitions are known everywhere.
    const ensured = await withRetry(() => ensureTopics(kafka, [{ topic: opts.topic, partitions: opts.partitions, replicationFactor: opts.replicationFactor }]), {
      initialDelayMs: 200,
      maxDelayMs: 2_000,
      maxRetries: 8,
      isRetriable: (err) => err instanceof KafkaIoError && err.retriable,
    });
    if (ensured.created.length > 0) say(`created topic ${opts.topic} (${opts.partitions} partitions)`);
    const registry = createRegistryClient(registryOf(opts.endpoints));
    const serde = await AvroSerde.forTopic(registry, opts.topic, contracts.request);

    // Idempotent: the broker drops duplicates from this producer's own retries (KIP-98); one
    // request in flight per connection keeps records in order under retries in kafkajs.
    const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const progress = createProgress({ enabled: opts.progress, totalBytes: source.sizeBytes, label: `submit ${jobId}`, stream: opts.stderr, clock });
    const t0 = clock();
    // What was acknowledged so far, so a failed submission still records how far it got.
    let last: SubmitProgress = { linesRead: 0, produced: 0, bad: 0, bytesRead: 0 };
    // Printed after the bar is gone, so the bar and the messages do not overwrite each other.
    const toPrint: BadLine[] = [];
    let hidden = 0;
    const traced = startSubmitTrace(jobId, opts.tenant, opts.topic);
    const headers = traced.headers === undefined ? {} : { headers: traced.headers };
    try {
      const result = await submitLines(source, {
        jobId,
        tenant: opts.tenant,
        defaults: { maxOutputTokens: opts.maxOutputTokens, priority: opts.priority },
        encode: (r: SubmitRequest) => serde.encode(r),
        send: async (messages) => {
          await producer.send({ topic: opts.topic, acks: -1, compression: compressionTypeOf(opts.compression ?? 'none'), messages: messages.map((m) => ({ key: m.key, value: m.value, ...headers })) });
        },
        chunkMessages: opts.chunkMessages,
        chunkBytes: 1024 * 1024,
        knownModels: opts.knownModels,
        keepBadLines: opts.keepBadLines,
        clock,
        onBadLine: (b) => {
          if (toPrint.length < opts.printBadLines) toPrint.push(b);
          else hidden += 1;
        },
        onProgress: (p) => {
          last = p;
          progress.update(p);
        },
      });
      progress.stop();
      for (const b of toPrint) say(`line ${b.lineNo}: ${b.error}`);
      if (hidden > 0) say(`... and ${hidden} more bad lines (the first ${opts.keepBadLines} are stored: switchyard job ${jobId})`);
      await recordBadLines(pg, jobId, result.badLines);
      await finishJob(pg, jobId, 'submitted', { linesRead: result.linesRead, linesProduced: result.produced, linesRejected: result.bad }, null);
      traced.end(result);
      return {
        kind: 'submitted',
        jobId,
        attempt: begun.kind === 'new' ? 'new' : 'resubmitted',
        linesRead: result.linesRead,
        produced: result.produced,
        bad: result.bad,
        badLines: result.badLines,
        elapsedMs: clock() - t0,
      };
    } catch (err) {
      progress.stop();
      traced.fail(err);
      const message = err instanceof Error ? err.message : String(err);
      // Best effort: the submission error is what the caller must see, not a second one from Postgres.
      await finishJob(pg, jobId, 'failed', { linesRead: last.linesRead, linesProduced: last.produced, linesRejected: last.bad }, message).catch(() => undefined);
      throw err;
    } finally {
      await producer.disconnect();
    }
  } finally {
    await pg.end();
  }
}
