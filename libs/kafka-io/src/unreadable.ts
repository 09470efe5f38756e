// No record batch can stop a partition. kafkajs decodes every record batch of a fetch response
// before any handler runs; a batch it cannot read (a codec it lacks, corrupt compressed data,
// a codec id Kafka does not define) throws inside its fetch loop, the consumer crashes, and on
// restart the same fetch throws again: the partition, and with it the service, is stuck.
//
// The guard wraps kafkajs' record batch decoder (protocol/recordBatch/v0/decoder, read by the
// fetch responses v4-v11). The batch header (first offset, last offset delta, producer id,
// transactional flag) precedes the records and is plain, so when the records cannot be decoded
// the guard returns, instead of throwing, one placeholder message per offset of the batch:
// null key and value, no headers, marked with a registered symbol. kafkajs then
// treats the range like any other messages (offset filtering after a seek, aborted-transaction
// filtering under read_committed), and the consumer decides what to do with each offset: the
// transactional runner dead-letters it and commits past it (see runner.ts).
import { createRequire } from 'node:module';
import type { KafkaMessage } from 'kafkajs';

export interface UnreadableBatch {
  /** First and last offset of the record batch that could not be read (inclusive). */
  readonly firstOffset: string;
  readonly lastOffset: string;
  /** Compression codec id from the batch attributes (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd). */
  readonly codecId: number;
  /** Why decoding failed (the decoder's error name and message). */
  readonly detail: string;
}

// The patched decoder lives in Node's CommonJS module cache, one per process, while this module
// can be loaded more than once in a process (each vitest test file gets its own ES module
// instances in one worker). Module-local state would let the copy that installed the guard mark
// placeholders that another copy's runner cannot see, so it passed them on as records (found
// when the suite ran the poison-batch test after other Kafka tests). Registered symbols are the
// same in every copy.
const MARK = Symbol.for('switchyard.kafka-io.unreadable-batch');
const GUARD = Symbol.for('switchyard.kafka-io.record-batch-guard');

/** The unreadable batch a placeholder message stands for; undefined for a real message. */
export function unreadableBatchOf(message: KafkaMessage): UnreadableBatch | undefined {
  return (message as unknown as { [MARK]?: UnreadableBatch })[MARK];
}

interface KafkaJsDecoder {
  buffer: Buffer;
  offset: number;
}

type BatchDecoder = (decoder: KafkaJsDecoder) => Promise<{ records: unknown[] } & Record<string, unknown>>;

// Record batch v2 header layout (KIP-98), offsets from the start of the batch.
const HEADER_BYTES = 61;
const AT_LENGTH = 8;
const AT_LEADER_EPOCH = 12;
const AT_ATTRIBUTES = 21;
const AT_LAST_OFFSET_DELTA = 23;
const AT_FIRST_TIMESTAMP = 27;
const AT_MAX_TIMESTAMP = 35;
const AT_PRODUCER_ID = 43;
const AT_PRODUCER_EPOCH = 51;
const AT_FIRST_SEQUENCE = 53;
const TRANSACTIONAL_FLAG = 0x10;
const CONTROL_FLAG = 0x20;
/** A batch holds at most max.message.bytes of records; a larger delta means the header itself is damaged. */
const MAX_PLACEHOLDERS = 1 << 20;

function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

/** Placeholders for a batch whose records could not be decoded; null when its header cannot be trusted either. */
export function placeholdersFor(buffer: Buffer, start: number, err: unknown): { records: KafkaMessage[]; batch: Record<string, unknown> } | null {
  if (buffer.length - start < HEADER_BYTES) return null;
  const at = (n: number): number => start + n;
  const length = buffer.readInt32BE(at(AT_LENGTH));
  const delta = buffer.readInt32BE(at(AT_LAST_OFFSET_DELTA));
  if (length < HEADER_BYTES - 12 || delta < 0 || delta >= MAX_PLACEHOLDERS) return null;
  const first = buffer.readBigInt64BE(start);
  const attributes = buffer.readInt16BE(at(AT_ATTRIBUTES));
  const firstTimestamp = buffer.readBigInt64BE(at(AT_FIRST_TIMESTAMP)).toString();
  const batch = {
    firstOffset: first.toString(),
    firstTimestamp,
    partitionLeaderEpoch: buffer.readInt32BE(at(AT_LEADER_EPOCH)),
    inTransaction: (attributes & TRANSACTIONAL_FLAG) !== 0,
    isControlBatch: (attributes & CONTROL_FLAG) !== 0,
    lastOffsetDelta: delta,
    producerId: buffer.readBigInt64BE(at(AT_PRODUCER_ID)).toString(),
    producerEpoch: buffer.readInt16BE(at(AT_PRODUCER_EPOCH)),
    firstSequence: buffer.readInt32BE(at(AT_FIRST_SEQUENCE)),
    maxTimestamp: buffer.readBigInt64BE(at(AT_MAX_TIMESTAMP)).toString(),
    timestampType: 0,
  };
  const info: UnreadableBatch = {
    firstOffset: first.toString(),
    lastOffset: (first + BigInt(delta)).toString(),
    codecId: attributes & 0x07,
    detail: describe(err),
  };
  const records: KafkaMessage[] = [];
  for (let i = 0; i <= delta; i++) {
    const message = {
      magicByte: 2,
      attributes: 0,
      timestamp: firstTimestamp,
      offset: (first + BigInt(i)).toString(),
      key: null,
      value: null,
      headers: {},
      isControlRecord: batch.isControlBatch,
      batchContext: batch,
    } as unknown as KafkaMessage;
    Object.defineProperty(message, MARK, { value: info, enumerable: false });
    records.push(message);
  }
  return { records, batch };
}

/** Wraps kafkajs' decoder; the partial batch at the end of a fetch response is still kafkajs' to handle. */
export function guardDecoder(original: BatchDecoder): BatchDecoder {
  const guarded: BatchDecoder = async (decoder) => {
    const start = decoder.offset;
    try {
      return await original(decoder);
    } catch (err) {
      if (err instanceof Error && err.name === 'KafkaJSPartialMessageError') throw err;
      const placeholders = placeholdersFor(decoder.buffer, start, err);
      if (placeholders === null) throw err;
      // The original decoder may have thrown before moving past the batch.
      decoder.offset = start + 12 + decoder.buffer.readInt32BE(start + AT_LENGTH);
      return { ...placeholders.batch, records: placeholders.records };
    }
  };
  return Object.assign(guarded, { [GUARD]: true });
}

let installed = false;

/** Idempotent; called by createKafka before any consumer exists. */
export function installUnreadableBatchGuard(): void {
  if (installed) return;
  const require = createRequire(import.meta.url);
  const decoderPath = require.resolve('kafkajs/src/protocol/recordBatch/v0/decoder.js');
  const original = require(decoderPath) as BatchDecoder & { [GUARD]?: true };
  const cached = require.cache[decoderPath];
  if (cached === undefined) throw new Error('kafkajs record batch decoder is not in the module cache');
  if (original[GUARD] === true) {
    // Another copy of this module guarded the decoder already.
    installed = true;
    return;
  }
  cached.exports = guardDecoder(original);
  // The fetch responses hold the decoder they were loaded with; kafkajs requires them lazily
  // per request, so dropping them from the cache makes the next fetch load them with the guard.
  const fetchDir = require.resolve('kafkajs/src/protocol/requests/fetch/index.js').replace(/index\.js$/, '');
  for (const path of Object.keys(require.cache)) {
    if (path.startsWith(fetchDir) && /[\\/]v\d+[\\/](response|decodeMessages)\.js$/.test(path)) delete require.cache[path];
  }
  installed = true;
}
