// Streams a JSONL job line by line (never the whole file in memory). Blank lines are skipped
// but still counted, so line numbers match what an editor shows.
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { SourceRecord } from './record.ts';

export async function* readJsonl(input: Readable): AsyncGenerator<SourceRecord> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNo = 0;
  try {
    for await (const text of lines) {
      lineNo += 1;
      // A UTF-8 byte order mark on the first line is not part of the JSON.
      const body = lineNo === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
      if (body.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(body) as unknown;
      } catch (err) {
        yield { kind: 'bad', lineNo, error: `not valid JSON (${err instanceof Error ? err.message : String(err)})` };
        continue;
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        yield { kind: 'bad', lineNo, error: 'must be a JSON object' };
        continue;
      }
      yield { kind: 'line', lineNo, value };
    }
  } finally {
    lines.close();
  }
}
