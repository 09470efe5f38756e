// The submission loop, free of Kafka, the registry and Postgres (they come in as ports): read
// records in file order, validate each, encode the good ones and send them in bounded chunks.
// At most two chunks exist at a time (one being sent, one being filled), so memory stays flat
// for any file size, and reading waits for Kafka when Kafka is slower (backpressure).
import { CliError } from '../errors.ts';
import { lineCheckerFor } from '../source/line-check.ts';
import type { CheckResult } from '../source/line-check.ts';
import type { JobSource } from '../source/record.ts';
import { CustomIdRegistry } from './custom-ids.ts';
import { toRequest } from './request.ts';
import type { RequestDefaults, SubmitRequest } from './request.ts';

export interface OutMessage {
  readonly key: string;
  readonly value: Buffer;
}

/** Sends one chunk and resolves once the broker acknowledged all of it. */
export type SendChunk = (messages: readonly OutMessage[]) => Promise<void>;

import type { BadLine } from '@switchyard/store';
export type { BadLine } from '@switchyard/store';

export interface SubmitProgress {
  readonly linesRead: number;
  readonly produced: number;
  readonly bad: number;
  readonly bytesRead: number;
}

export interface SubmitLinesOptions {
  readonly jobId: string;
  readonly tenant: string;
  readonly defaults: RequestDefaults;
  readonly encode: (request: SubmitRequest) => Buffer;
  readonly send: SendChunk;
  /** Messages per chunk (one producer.send). */
  readonly chunkMessages: number;
  /** Bytes of encoded values per chunk; a chunk is sent when either bound is reached. */
  readonly chunkBytes: number;
  /** Bad lines kept in the result (all are counted and passed to onBadLine). */
  readonly keepBadLines: number;
  readonly clock: () => number;
  /**
   * The router's model pool when the caller knows it: a line that allows only models outside
   * it is reported as a bad line here instead of being dead-lettered by the router later.
   */
  readonly knownModels?: readonly string[] | undefined;
  /**
   * Largest encoded request sent; a larger one is a bad line (the broker would refuse the whole
   * chunk, failing the job). Default: just under Kafka's default message.max.bytes (1 MiB).
   */
  readonly maxRequestBytes?: number | undefined;
  readonly onBadLine?: (bad: BadLine) => void;
  readonly onProgress?: (p: SubmitProgress) => void;
}

export interface SubmitLinesResult {
  /** Non-blank lines (records) read, good and bad. */
  readonly linesRead: number;
  /** Requests acknowledged by Kafka. */
  readonly produced: number;
  readonly bad: number;
  /** The first `keepBadLines` bad lines, in file order. */
  readonly badLines: readonly BadLine[];
  readonly lastLineNo: number;
}

/** Kafka's default message.max.bytes is 1,048,588; the rest is left for the record's key, headers and batch overhead. */
export const DEFAULT_MAX_REQUEST_BYTES = 1_000_000;

type Sent = { readonly ok: true } | { readonly ok: false; readonly error: unknown };

export async function submitLines(source: JobSource, opts: SubmitLinesOptions): Promise<SubmitLinesResult> {
  let linesRead = 0;
  let produced = 0;
  let bad = 0;
  let lastLineNo = 0;
  const badLines: BadLine[] = [];
  let chunk: OutMessage[] = [];
  let chunkBytes = 0;
  // The chunk in flight settles to a value (never rejects), so a Kafka failure while the next
  // chunk is being read cannot become an unhandled rejection; it is checked before the next send.
  let inFlight: Promise<Sent> | null = null;
  let inFlightSize = 0;
  const submittedAtMs = opts.clock();

  const settle = async (): Promise<void> => {
    if (inFlight === null) return;
    const sent = await inFlight;
    inFlight = null;
    if (!sent.ok) {
      throw new CliError('produce_failed', `Kafka did not acknowledge ${inFlightSize} requests after ${produced} were acknowledged`, { cause: sent.error });
    }
    produced += inFlightSize;
    inFlightSize = 0;
  };
  const flush = async (): Promise<void> => {
    await settle();
    if (chunk.length === 0) return;
    const toSend = chunk;
    chunk = [];
    chunkBytes = 0;
    inFlightSize = toSend.length;
    inFlight = opts.send(toSend).then(
      (): Sent => ({ ok: true }),
      (error: unknown): Sent => ({ ok: false, error }),
    );
  };
  const check = lineCheckerFor(source.format);
  const customIds = new CustomIdRegistry();
  const known = opts.knownModels === undefined ? null : new Set(opts.knownModels);
  const maxRequestBytes = opts.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  const refuse = (lineNo: number, error: string): void => {
    bad += 1;
    const b = { lineNo, error };
    if (badLines.length < opts.keepBadLines) badLines.push(b);
    opts.onBadLine?.(b);
  };
  const report = (): void => opts.onProgress?.({ linesRead, produced, bad, bytesRead: source.bytesRead() });

  try {
    for await (const rec of source.records()) {
      linesRead += 1;
      lastLineNo = rec.lineNo;
      const result: CheckResult = rec.kind === 'line' ? check(rec.value) : { ok: false, error: rec.error };
      if (!result.ok) {
        refuse(rec.lineNo, result.error);
        continue;
      }
      const { line, customId, body } = result.checked;
      const allowed = line.allowedModels;
      if (known !== null && allowed !== undefined && !allowed.some((m) => known.has(m))) {
        refuse(rec.lineNo, `model ${allowed.join(', ')} is not in the router's pool (${[...known].join(', ')})`);
        continue;
      }
      const request = toRequest(line, { jobId: opts.jobId, tenant: opts.tenant, lineNo: rec.lineNo, defaults: opts.defaults, submittedAtMs }, { customId, body });
      const value = opts.encode(request);
      if (value.length > maxRequestBytes) {
        refuse(rec.lineNo, `request is ${value.length} bytes encoded, more than the ${maxRequestBytes} a Kafka record may hold`);
        continue;
      }
      // Claimed only once the line is otherwise good, so a refused line does not make its
      // corrected repeat look like a duplicate.
      if (customId !== undefined) {
        const claimed = customIds.claim(customId, rec.lineNo);
        if (!claimed.ok) {
          refuse(rec.lineNo, claimed.error);
          continue;
        }
      }
      chunk.push({ key: request.requestId, value });
      chunkBytes += value.length;
      if (chunk.length >= opts.chunkMessages || chunkBytes >= opts.chunkBytes) {
        await flush();
        report();
      }
    }
    await flush();
    await settle();
  } finally {
    // On an error above, wait for the chunk in flight so nothing outlives this call.
    if (inFlight !== null) await inFlight;
  }
  report();
  return { linesRead, produced, bad, badLines, lastLineNo };
}
