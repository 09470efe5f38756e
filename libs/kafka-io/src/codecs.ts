// Compression codecs for every Kafka codec id, registered once into kafkajs' process-wide codec
// table. kafkajs 2.2.4 ships gzip only and throws KafkaJSNotImplemented for snappy, lz4 and
// zstd inside its fetch loop, so a single producer with `compression.type=lz4` (a librdkafka
// default in many setups) used to stop the consumer. Registration happens in createKafka, the
// one place every service builds its client, so no consumer can miss it.
//
// Wire formats (KIP-57, KIP-110): snappy is xerial-framed or raw (kafkajs-snappy reads both,
// writes raw, which Java's xerial SnappyInputStream also reads); lz4 is the LZ4 frame format
// with a correct header checksum; zstd is a standard zstd frame, possibly without a content
// size (Java's streaming ZstdOutputStream), which fzstd decodes.
import { createRequire } from 'node:module';
// Default import: Node's CommonJS export detection does not see kafkajs' CompressionCodecs, so
// a named import fails outside bundlers and vitest (SyntaxError at process start).
import kafkajs from 'kafkajs';
import { compressFrame, decompressFrame } from 'lz4-napi';
import { decompress as zstdDecompress } from 'fzstd';
import { KafkaIoError } from './errors.ts';

/** Codec names producers can be configured with (`none` = uncompressed). */
export const COMPRESSION_CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type CompressionCodec = (typeof COMPRESSION_CODECS)[number];

const { CompressionCodecs, CompressionTypes } = kafkajs;
type CompressionTypes = kafkajs.CompressionTypes;

const codecIds: Readonly<Record<CompressionCodec, CompressionTypes>> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

/** kafkajs' `compression` value for a producer `send`/`sendBatch`. */
export function compressionTypeOf(codec: CompressionCodec): CompressionTypes {
  return codecIds[codec];
}

interface Codec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

const require = createRequire(import.meta.url);
// kafkajs-snappy is CommonJS without types: a factory returning { compress, decompress }.
const snappyCodec = (require('kafkajs-snappy') as () => Codec)();

const lz4Codec: Codec = {
  compress: async (encoder) => compressFrame(encoder.buffer),
  decompress: async (buffer) => decompressFrame(buffer),
};

type ZstdWasm = { init(): Promise<void>; compress(data: Uint8Array, level: number): Uint8Array };
let zstdWasm: Promise<ZstdWasm> | null = null;
/** The zstd encoder is WebAssembly shipped in its package; it is instantiated on first use. */
function zstdEncoder(): Promise<ZstdWasm> {
  zstdWasm ??= (async () => {
    const mod = require('@bokuweb/zstd-wasm') as ZstdWasm;
    await mod.init();
    return mod;
  })();
  return zstdWasm;
}

const ZSTD_LEVEL = 3; // the zstd and Kafka default level

const zstdCodec: Codec = {
  compress: async (encoder) => {
    const z = await zstdEncoder();
    return Buffer.from(z.compress(encoder.buffer, ZSTD_LEVEL));
  },
  decompress: async (buffer) => Buffer.from(zstdDecompress(buffer)),
};

/** Codec ids 5-7 are unassigned: kafkajs would otherwise read such a batch as uncompressed garbage. */
function unknownCodec(id: number): Codec {
  const fail = (): never => {
    throw new KafkaIoError('invalid_request', `record batch uses compression codec id ${id}, which Kafka does not define`);
  };
  return { compress: async () => fail(), decompress: async () => fail() };
}

let registered = false;

/** Idempotent; called by createKafka. */
export function registerCodecs(): void {
  if (registered) return;
  const table = CompressionCodecs as unknown as Record<number, () => Codec>;
  table[CompressionTypes.Snappy] = () => snappyCodec;
  table[CompressionTypes.LZ4] = () => lz4Codec;
  table[CompressionTypes.ZSTD] = () => zstdCodec;
  for (const id of [5, 6, 7]) table[id] = () => unknownCodec(id);
  registered = true;
}
