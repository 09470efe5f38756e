// Tells a provider batch file from a native JSONL job by its first non-blank line: an OpenAI
// Batch line has `custom_id` with `body`/`url`/`method`, an Anthropic Message Batches request
// has `custom_id` with `params`. One line is enough because a file is one format; a line of
// another shape later in the file is then reported as a bad line of the detected format,
// which names what it lacks. Only that first line is read (up to its end), then the file is
// closed and read again from the start.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { SourceFormat } from './record.ts';

export function formatOfLine(text: string): SourceFormat {
  let value: unknown;
  try {
    value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as unknown;
  } catch {
    return 'jsonl';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !('custom_id' in value)) return 'jsonl';
  if ('params' in value) return 'anthropic';
  if ('body' in value || 'url' in value || 'method' in value) return 'openai';
  return 'jsonl';
}

export async function detectJsonlFormat(path: string): Promise<SourceFormat> {
  const stream = createReadStream(path, { highWaterMark: 64 * 1024 });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  try {
    for await (const text of lines) {
      if (text.trim() !== '') return formatOfLine(text);
    }
    return 'jsonl';
  } finally {
    lines.close();
    stream.destroy();
  }
}
