// Splits a transaction's output records into produce calls of bounded size. kafkajs writes all
// records of one call for one partition as a single record batch, and the broker refuses a
// batch larger than max.message.bytes (1 MiB by default) as a whole. Outputs can outgrow their
// input (a dead letter wraps the original bytes in an envelope), so a slice of valid-size
// records could otherwise produce a batch the broker never accepts, aborting the transaction
// on every retry. Order is kept: the calls run one after another in the same transaction.
import type { IHeaders } from 'kafkajs';

/** Bytes a record adds to a batch besides key, value and headers (varints, attributes, deltas). */
const RECORD_OVERHEAD_BYTES = 64;

/** Default bound of one produce call: half the broker's default max.message.bytes. */
export const DEFAULT_MAX_SEND_BYTES = 512 * 1024;

interface SizedRecord {
  readonly key?: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly headers?: IHeaders;
}

/** An output record as the runner sends it (the runner's OutputRecord). */
interface ChunkRecord extends SizedRecord {
  readonly topic: string;
  readonly partition?: number;
}

function bytesOf(v: Buffer | string | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'string' ? Buffer.byteLength(v) : v.length;
}

function headerBytes(headers: IHeaders | undefined): number {
  if (headers === undefined) return 0;
  let n = 0;
  for (const [k, v] of Object.entries(headers)) {
    n += Buffer.byteLength(k);
    for (const x of Array.isArray(v) ? v : [v]) n += bytesOf(x);
  }
  return n;
}

/** Estimated size of a record inside a batch. */
export function recordBytes(r: SizedRecord): number {
  return RECORD_OVERHEAD_BYTES + bytesOf(r.key) + bytesOf(r.value) + headerBytes(r.headers);
}

/**
 * Consecutive runs of records whose estimated size stays within `maxBytes`; a record larger
 * than that is a run of its own. Never returns an empty run.
 */
export function chunkRecords<T extends SizedRecord>(records: readonly T[], maxBytes: number = DEFAULT_MAX_SEND_BYTES): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const r of records) {
    const n = recordBytes(r);
    if (current.length > 0 && size + n > maxBytes) {
      out.push(current);
      current = [];
      size = 0;
    }
    current.push(r);
    size += n;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** The records of one produce call, grouped by topic as kafkajs' sendBatch takes them. */
export function groupByTopic(records: readonly ChunkRecord[]): { topic: string; messages: { key?: Buffer | string | null; value: Buffer | string | null; headers?: IHeaders; partition?: number }[] }[] {
  const byTopic = new Map<string, { key?: Buffer | string | null; value: Buffer | string | null; headers?: IHeaders; partition?: number }[]>();
  for (const r of records) {
    let list = byTopic.get(r.topic);
    if (list === undefined) {
      list = [];
      byTopic.set(r.topic, list);
    }
    list.push({
      value: r.value,
      ...(r.key !== undefined ? { key: r.key } : {}),
      ...(r.headers !== undefined ? { headers: r.headers } : {}),
      ...(r.partition !== undefined ? { partition: r.partition } : {}),
    });
  }
  return [...byTopic.entries()].map(([topic, messages]) => ({ topic, messages }));
}
