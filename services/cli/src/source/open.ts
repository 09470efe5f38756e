// Opens a bulk job file as a stream of records, choosing the reader by extension (or by the
// explicit format). A JSON-lines file is told apart (native job, OpenAI Batch, Anthropic
// Message Batches) by its first line unless the format is given.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { CliError } from '../errors.ts';
import { readCsv } from './csv.ts';
import { detectJsonlFormat } from './detect.ts';
import { readJsonl } from './jsonl.ts';
import { readParquet } from './parquet.ts';
import { SOURCE_FORMATS } from './record.ts';
import type { JobSource, SourceFormat, SourceRecord } from './record.ts';

export function formatOf(path: string, explicit?: SourceFormat): SourceFormat {
  if (explicit !== undefined) return explicit;
  const lower = path.toLowerCase();
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson') || lower.endsWith('.json')) return 'jsonl';
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.parquet')) return 'parquet';
  throw new CliError('invalid_arguments', `cannot tell the format of ${path} from its extension; pass --format ${SOURCE_FORMATS.join('|')}`);
}

export async function openJobSource(path: string, explicit?: SourceFormat): Promise<JobSource> {
  let format = formatOf(path, explicit);
  let sizeBytes: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new CliError('source_unreadable', `${path} is not a file`);
    sizeBytes = s.size;
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError('source_unreadable', `cannot read ${path}`, { cause: err });
  }
  if (format === 'jsonl' && explicit === undefined) {
    try {
      format = await detectJsonlFormat(path);
    } catch (err) {
      throw new CliError('source_unreadable', `cannot read ${path}`, { cause: err });
    }
  }
  let bytes = 0;
  if (format === 'parquet') {
    return {
      format,
      sizeBytes,
      bytesRead: () => bytes,
      records: () => readParquet(path, { onBytes: (b) => (bytes = b) }),
    };
  }
  return {
    format,
    sizeBytes,
    bytesRead: () => bytes,
    records: async function* (): AsyncGenerator<SourceRecord> {
      const stream = createReadStream(path, { highWaterMark: 256 * 1024 });
      stream.on('data', (chunk) => (bytes += chunk.length));
      try {
        yield* format === 'csv' ? readCsv(stream) : readJsonl(stream); // JSONL, OpenAI and Anthropic lines alike
      } catch (err) {
        if (err instanceof CliError) throw err;
        throw new CliError('source_unreadable', `reading ${path} failed`, { cause: err });
      } finally {
        stream.destroy();
      }
    },
  };
}
