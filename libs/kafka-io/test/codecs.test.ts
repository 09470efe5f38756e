import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { COMPRESSION_CODECS, compressionTypeOf, registerCodecs } from '../src/codecs.ts';

interface Codec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

function codec(id: number): Codec {
  registerCodecs();
  return (CompressionCodecs as unknown as Record<number, () => Codec>)[id]!();
}

describe('compression codecs', () => {
  const payload = Buffer.from(JSON.stringify({ prompt: 'route me '.repeat(500), n: [1, 2, 3] }));

  it.each([CompressionTypes.GZIP, CompressionTypes.Snappy, CompressionTypes.LZ4, CompressionTypes.ZSTD])('codec %i round-trips and compresses', async (id) => {
    const c = codec(id);
    const compressed = await c.compress({ buffer: payload });
    expect(compressed.length).toBeLessThan(payload.length);
    expect((await c.decompress(compressed)).equals(payload)).toBe(true);
  });

  // Frames written by the reference command-line tools (lz4 1.9, zstd 1.5 reading stdin, so
  // without a content size, like Java's streaming ZstdOutputStream).
  it('reads an LZ4 frame with a content checksum written by the lz4 tool', async () => {
    const frame = Buffer.from('BCJNGGRApxYAAIBzd2l0Y2h5YXJkIGx6NCBmaXh0dXJlAAAAAATC9yQ=', 'base64');
    expect((await codec(CompressionTypes.LZ4).decompress(frame)).toString()).toBe('switchyard lz4 fixture');
  });

  it('reads a zstd frame without a content size written by the zstd tool', async () => {
    const frame = Buffer.from('KLUv/QRYuQAAc3dpdGNoeWFyZCB6c3RkIGZpeHR1cmWMuxF4', 'base64');
    expect((await codec(CompressionTypes.ZSTD).decompress(frame)).toString()).toBe('switchyard zstd fixture');
  });

  it('reads xerial-framed snappy (the Java client) as well as raw snappy', async () => {
    const raw = await codec(CompressionTypes.Snappy).compress({ buffer: payload });
    const header = Buffer.from([130, 83, 78, 65, 80, 80, 89, 0, 0, 0, 0, 1, 0, 0, 0, 1]);
    const size = Buffer.alloc(4);
    size.writeUInt32BE(raw.length);
    const framed = Buffer.concat([header, size, raw]);
    expect((await codec(CompressionTypes.Snappy).decompress(framed)).equals(payload)).toBe(true);
  });

  it('fails, instead of reading garbage, on the codec ids Kafka does not define', async () => {
    for (const id of [5, 6, 7]) await expect(codec(id).decompress(Buffer.from('x'))).rejects.toMatchObject({ name: 'KafkaIoError' });
  });

  it('maps every configurable codec to its kafkajs type', () => {
    expect(COMPRESSION_CODECS.map(compressionTypeOf)).toEqual([0, 1, 2, 3, 4]);
  });

  // Services run under plain Node, where a named import of kafkajs' CompressionCodecs fails at
  // load time; vitest's transform hides that, so this loads the library in a real process.
  it('loads and registers under plain Node, as the services run', async () => {
    const index = join(import.meta.dirname, '..', 'src', 'index.ts');
    const script = `import(${JSON.stringify(index)}).then((m) => { m.registerCodecs(); m.installUnreadableBatchGuard(); console.log('lz4=' + m.compressionTypeOf('lz4')); })`;
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--import', 'tsx', '-e', script], { timeout: 30_000 }, (err, stdout, stderr) => (err === null ? resolve(stdout) : reject(new Error(stderr)))),
    );
    expect(out.trim()).toBe('lz4=3');
  });
});
