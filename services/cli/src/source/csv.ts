// Streams a CSV job (RFC 4180: quoted fields may hold commas and newlines) record by record.
// The first record is the header. A record with the wrong number of fields is reported with
// its line number and the rest go on; a quote that is never closed swallows the rest of the
// file, which is reported as one bad line where the record started.
import { parse } from 'csv-parse';
import { Transform } from 'node:stream';
import type { Readable, TransformCallback } from 'node:stream';
import { CliError } from '../errors.ts';
import type { SourceRecord } from './record.ts';
import { normaliseRow } from './row.ts';

interface ParsedRecord {
  readonly record: string[];
  readonly raw: string;
  readonly info: { readonly lines: number };
}

interface SkipError {
  readonly code?: string;
  readonly message: string;
  readonly lines?: number;
}

function countNewlines(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === 10) n++;
  return n;
}

/** Line the record starts on: csv-parse reports the line it ends on; quoted newlines are inside `raw`. */
function startLine(r: ParsedRecord): number {
  const body = r.raw.endsWith('\r\n') ? r.raw.slice(0, -2) : r.raw.endsWith('\n') ? r.raw.slice(0, -1) : r.raw;
  return r.info.lines - countNewlines(body);
}

/**
 * CRLF -> LF before parsing (a CR at the end of a chunk waits for the next one). csv-parse
 * counts lines reliably only with LF records; inside quoted fields CRLF also becomes LF.
 */
export function crlfToLf(): Transform {
  let pendingCr = false;
  return new Transform({
    decodeStrings: true,
    transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
      let text = (pendingCr ? '\r' : '') + chunk.toString('latin1');
      pendingCr = text.endsWith('\r');
      if (pendingCr) text = text.slice(0, -1);
      // latin1 keeps every byte as one char, so multi-byte UTF-8 split across chunks survives.
      done(null, Buffer.from(text.replace(/\r\n/g, '\n'), 'latin1'));
    },
    flush(done: TransformCallback) {
      done(null, pendingCr ? Buffer.from('\r', 'latin1') : null);
    },
  });
}

export async function* readCsv(input: Readable): AsyncGenerator<SourceRecord> {
  // Skips are emitted as the parser meets them, which can be ahead of the records this loop
  // has yielded; they are held and yielded in line order.
  const skipped: SourceRecord[] = [];
  const parser = parse({
    bom: true,
    info: true,
    raw: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
  });
  parser.on('skip', (err: SkipError) => {
    // Bounded by what the parser has buffered ahead of the loop below, which drains it.
    skipped.push({ kind: 'bad', lineNo: err.lines ?? 0, error: `unreadable CSV (${err.code ?? 'parse error'}: ${err.message})` });
  });
  const lf = crlfToLf();
  input.on('error', (err) => lf.destroy(err));
  lf.on('error', (err) => parser.destroy(err));
  const records = input.pipe(lf).pipe(parser) as AsyncIterable<ParsedRecord>;
  let header: string[] | null = null;
  for await (const r of records) {
    const lineNo = startLine(r);
    while (skipped.length > 0 && skipped[0]!.lineNo < lineNo) yield skipped.shift()!;
    if (header === null) {
      header = r.record.map((h) => h.trim());
      const seen = new Set<string>();
      for (const h of header) {
        if (h === '') throw new CliError('source_invalid', `CSV header (line ${lineNo}) has an empty column name`);
        if (seen.has(h)) throw new CliError('source_invalid', `CSV header (line ${lineNo}) repeats column "${h}"`);
        seen.add(h);
      }
      continue;
    }
    if (r.record.length !== header.length) {
      yield { kind: 'bad', lineNo, error: `has ${r.record.length} fields, the header has ${header.length}` };
      continue;
    }
    const row: Record<string, string> = {};
    header.forEach((h, i) => {
      row[h] = r.record[i]!;
    });
    yield { kind: 'line', lineNo, value: normaliseRow(row) };
  }
  while (skipped.length > 0) yield skipped.shift()!;
  if (header === null) throw new CliError('source_invalid', 'CSV input has no header line');
}
