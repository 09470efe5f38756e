// A record batch kafkajs cannot decode (here: a codec that fails, as a missing or broken codec
// does) becomes one placeholder per offset, and the batches around it decode normally.
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import type { KafkaMessage } from 'kafkajs';
import { registerCodecs } from '../src/codecs.ts';
import { guardDecoder, unreadableBatchOf } from '../src/unreadable.ts';

const require = createRequire(import.meta.url);
type Enc = { buffer: Buffer };
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as { RecordBatch: (o: Record<string, unknown>) => Promise<Enc> };
const Long = require('kafkajs/src/utils/long.js') as { fromNumber(n: number): unknown };
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (o: Record<string, unknown>) => unknown;
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (b: Buffer) => { buffer: Buffer; offset: number };
const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as Parameters<typeof guardDecoder>[0];

const table = CompressionCodecs as unknown as Record<number, () => unknown>;

async function batch(firstOffset: number, values: string[], compression: number): Promise<Buffer> {
  const records = values.map((v, i) => Record({ offsetDelta: i, key: `k${i}`, value: Buffer.from(v) }));
  const encoded = await RecordBatch({ compression, firstOffset: Long.fromNumber(firstOffset), lastOffsetDelta: values.length - 1, records });
  return encoded.buffer;
}

async function decodeAll(buffer: Buffer): Promise<KafkaMessage[]> {
  const decoder = new Decoder(buffer);
  const guarded = guardDecoder(decodeBatch);
  const out: KafkaMessage[] = [];
  while (decoder.offset < buffer.length) out.push(...((await guarded(decoder)).records as KafkaMessage[]));
  return out;
}

describe('unreadable record batches', () => {
  registerCodecs();
  const zstd = table[CompressionTypes.ZSTD]!;
  afterEach(() => {
    table[CompressionTypes.ZSTD] = zstd;
  });

  it('turns a batch whose records cannot be decoded into one placeholder per offset and reads the next batch', async () => {
    const fetched = Buffer.concat([
      await batch(10, ['a', 'b'], CompressionTypes.GZIP),
      await batch(12, ['c', 'd', 'e'], CompressionTypes.ZSTD),
      await batch(15, ['f'], CompressionTypes.LZ4),
    ]);
    table[CompressionTypes.ZSTD] = () => ({
      compress: () => Promise.reject(new Error('no')),
      decompress: () => Promise.reject(new Error('zstd data is corrupt')),
    });
    const messages = await decodeAll(fetched);
    expect(messages.map((m) => m.offset)).toEqual(['10', '11', '12', '13', '14', '15']);
    expect(messages.map((m) => m.value?.toString() ?? null)).toEqual(['a', 'b', null, null, null, 'f']);
    expect(messages.map((m) => unreadableBatchOf(m) !== undefined)).toEqual([false, false, true, true, true, false]);
    expect(unreadableBatchOf(messages[3]!)).toMatchObject({ firstOffset: '12', lastOffset: '14', codecId: 4, detail: 'Error: zstd data is corrupt' });
  });

  it('reads the same bytes in full once the codec works', async () => {
    const messages = await decodeAll(await batch(12, ['c', 'd', 'e'], CompressionTypes.ZSTD));
    expect(messages.map((m) => m.value!.toString())).toEqual(['c', 'd', 'e']);
    expect(messages.some((m) => unreadableBatchOf(m) !== undefined)).toBe(false);
  });

  it('treats an undefined codec id as unreadable instead of decoding garbage', async () => {
    const bytes = await batch(0, ['x', 'y'], CompressionTypes.GZIP);
    // attributes are at byte 21 of the batch; codec id 6 does not exist
    bytes.writeInt16BE((bytes.readInt16BE(21) & ~0x07) | 6, 21);
    const messages = await decodeAll(bytes);
    expect(messages.map((m) => unreadableBatchOf(m)?.codecId)).toEqual([6, 6]);
  });

  it('leaves a partial batch at the end of a fetch response to kafkajs', async () => {
    const bytes = await batch(0, ['x'.repeat(200)], CompressionTypes.None);
    await expect(decodeAll(bytes.subarray(0, bytes.length - 20))).rejects.toMatchObject({ name: 'KafkaJSPartialMessageError' });
  });
});

describe('unreadable record batches with two copies of the module in one process', () => {
  // Each vitest test file gets its own ES module instances while kafkajs' decoder sits in the
  // process-wide CommonJS cache: the copy that guarded it and the copy a runner asks must agree.
  it('lets any copy recognise the placeholders another copy made, and guards the decoder once', async () => {
    // A query string makes vitest load a separate instance; tsc cannot resolve it, hence the cast.
    type Module = typeof import('../src/unreadable.ts');
    const copy = (name: string): Promise<Module> => import(/* @vite-ignore */ `../src/unreadable.ts?copy=${name}`) as Promise<Module>;
    const first = await copy('first');
    const second = await copy('second');
    expect(first.unreadableBatchOf).not.toBe(second.unreadableBatchOf);

    const bytes = await batch(7, ['x', 'y'], CompressionTypes.GZIP);
    const placeholders = first.placeholdersFor(bytes, 0, new Error('bad frame'))!.records;
    expect(placeholders.map((m) => second.unreadableBatchOf(m)?.firstOffset)).toEqual(['7', '7']);

    first.installUnreadableBatchGuard();
    const path = require.resolve('kafkajs/src/protocol/recordBatch/v0/decoder.js');
    const guarded = require.cache[path]!.exports;
    second.installUnreadableBatchGuard();
    expect(require.cache[path]!.exports).toBe(guarded);
  });
});
