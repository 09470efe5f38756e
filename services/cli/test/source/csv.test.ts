import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CliError } from '../../src/errors.ts';
import { readCsv } from '../../src/source/csv.ts';
import type { SourceRecord } from '../../src/source/record.ts';

async function collect(text: string | string[]): Promise<SourceRecord[]> {
  const out: SourceRecord[] = [];
  for await (const r of readCsv(Readable.from(Array.isArray(text) ? text : [text]))) out.push(r);
  return out;
}

describe('readCsv', () => {
  it('maps columns to job-line fields and numbers records by the line they start on', async () => {
    const recs = await collect('prompt,max_output_tokens,priority,allowed_models,metadata.task\n"multi\nline, with comma",64,2,a|b,arc\nplain,,,,\n');
    expect(recs).toEqual([
      { kind: 'line', lineNo: 2, value: { prompt: 'multi\nline, with comma', maxOutputTokens: 64, priority: 2, allowedModels: ['a', 'b'], metadata: { task: 'arc' } } },
      { kind: 'line', lineNo: 4, value: { prompt: 'plain' } },
    ]);
  });

  it('reports a row with the wrong number of fields and goes on', async () => {
    const recs = await collect('prompt,priority\na,1\nb,2,3\nc,3\n');
    expect(recs.map((r) => [r.kind, r.lineNo])).toEqual([
      ['line', 2],
      ['bad', 3],
      ['line', 4],
    ]);
    expect(recs[1]).toMatchObject({ error: 'has 3 fields, the header has 2' });
  });

  it('parses across chunk boundaries, with CRLF line ends (read as LF, inside quotes too) and a byte order mark', async () => {
    const text = '\ufeffprompt,priority\r\n"x\r\ny",1\r\nz,2\r\n';
    const chunks = text.match(/.{1,3}/gs)!;
    const recs = await collect(chunks);
    expect(recs).toEqual([
      { kind: 'line', lineNo: 2, value: { prompt: 'x\ny', priority: 1 } },
      { kind: 'line', lineNo: 4, value: { prompt: 'z', priority: 2 } },
    ]);
  });

  it('keeps non-numeric text in numeric columns so validation names the field', async () => {
    const recs = await collect('prompt,priority\na,high\n');
    expect(recs).toEqual([{ kind: 'line', lineNo: 2, value: { prompt: 'a', priority: 'high' } }]);
  });

  it('reports an unclosed quote as a bad record instead of failing the file', async () => {
    const recs = await collect('prompt,priority\na,1\n"never closed,2\nb,3\n');
    expect(recs[0]).toEqual({ kind: 'line', lineNo: 2, value: { prompt: 'a', priority: 1 } });
    expect(recs.slice(1).every((r) => r.kind === 'bad')).toBe(true);
    expect(recs.length).toBeGreaterThan(1);
  });

  it('refuses a header with repeated or empty column names', async () => {
    await expect(collect('prompt,prompt\na,b\n')).rejects.toBeInstanceOf(CliError);
    await expect(collect('prompt,\na,b\n')).rejects.toMatchObject({ code: 'source_invalid' });
    await expect(collect('')).rejects.toMatchObject({ code: 'source_invalid' });
  });

  it('streams: the first record arrives before the input has ended', async () => {
    let pushedRest = false;
    async function* source(): AsyncGenerator<string> {
      yield 'prompt\nfirst\n';
      pushedRest = true;
      for (let i = 0; i < 1_000; i++) yield `row ${i}\n`;
    }
    const it = readCsv(Readable.from(source()));
    const first = await it.next();
    expect(first.value).toEqual({ kind: 'line', lineNo: 2, value: { prompt: 'first' } });
    let n = 1;
    for await (const _ of it) n++;
    expect(pushedRest).toBe(true);
    expect(n).toBe(1_001);
  });
});

describe('readCsv bytes', () => {
  it('keeps a multi-byte UTF-8 character split across chunks', async () => {
    const bytes = Buffer.from('prompt\nnaïve 日本\n', 'utf8');
    const chunks = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
    const out: SourceRecord[] = [];
    for await (const r of readCsv(Readable.from(chunks))) out.push(r);
    expect(out).toEqual([{ kind: 'line', lineNo: 2, value: { prompt: 'naïve 日本' } }]);
  });
});
