// Dead letters every consumer of the project writes the same way, whatever its input.
import type { DeadLetterV1 } from './types.ts';

export interface UnreadableSource {
  readonly topic: string;
  readonly partition: number;
  /** The one offset this dead letter accounts for. */
  readonly offset: string;
  /** The record batch it belongs to (inclusive offsets) and why it could not be read. */
  readonly batch: { readonly firstOffset: string; readonly lastOffset: string; readonly codecId: number; readonly detail: string };
}

const CODEC_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

/**
 * One dead letter per offset of a record batch that could not be decoded, so that every offset
 * of an input partition is matched by its source partition and offset: either it produced
 * output or a dead letter carries it. Key and value are unknown (the bytes could not be read);
 * the record stays in its source partition until retention.
 */
export function unreadableDeadLetter(source: UnreadableSource, service: string, failedAtMs: number): DeadLetterV1 {
  const codec = CODEC_NAMES[source.batch.codecId] ?? `unknown codec id ${source.batch.codecId}`;
  return {
    reason: 'unreadable_batch',
    detail: `record batch ${source.batch.firstOffset}-${source.batch.lastOffset} (${codec}) of ${source.topic}[${source.partition}] could not be decoded: ${source.batch.detail}`.slice(0, 4_000),
    sourceTopic: source.topic,
    sourcePartition: source.partition,
    sourceOffset: Number(source.offset),
    originalKey: null,
    originalValue: null,
    originalHeaders: [],
    failedAt: failedAtMs,
    service,
  };
}
