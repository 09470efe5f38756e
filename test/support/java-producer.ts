// Runs Kafka's Java producer (test/support/java/CompressedProducer.java) on the stack's Kafka
// jars: records written by a client the project did not write, with any compression.type.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kafkaJars, stackConfigFromEnv } from '@switchyard/stack';

const SOURCE = join(import.meta.dirname, 'java', 'CompressedProducer.java');

export type JavaCodec = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

let jars: Promise<string> | null = null;

export function stackKafkaJars(): Promise<string> {
  jars ??= kafkaJars({ config: stackConfigFromEnv(process.env) });
  return jars;
}

export async function javaProduce(opts: {
  brokers: readonly string[];
  topic: string;
  partition: number;
  codec: JavaCodec;
  records: readonly { key: string; value: Buffer }[];
  timeoutMs?: number;
}): Promise<void> {
  const libs = await stackKafkaJars();
  const dir = await mkdtemp(join(tmpdir(), 'sy-java-producer-'));
  try {
    const file = join(dir, 'records.tsv');
    await writeFile(file, opts.records.map((r) => `${r.key}\t${r.value.toString('base64')}`).join('\n') + '\n');
    const args = ['-cp', `${libs}/*`, SOURCE, opts.brokers.join(','), opts.topic, String(opts.partition), opts.codec, file];
    await new Promise<void>((resolve, reject) => {
      execFile('java', args, { timeout: opts.timeoutMs ?? 120_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (err === null) resolve();
        else reject(new Error(`Java producer (${opts.codec}) failed: ${err.message}\n${stdout}\n${stderr.slice(-4_000)}`));
      });
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
