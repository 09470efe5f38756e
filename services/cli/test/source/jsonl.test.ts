import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readJsonl } from '../../src/source/jsonl.ts';
import type { SourceRecord } from '../../src/source/record.ts';

async function collect(chunks: string[]): Promise<SourceRecord[]> {
  const out: SourceRecord[] = [];
  for await (const r of readJsonl(Readable.from(chunks))) out.push(r);
  return out;
}

describe('readJsonl', () => {
  it('numbers lines as an editor does, skipping blank ones, and reports unparseable lines', async () => {
    const recs = await collect(['\ufeff{"prompt":"a"}\n\n  \nnot json\n[1]\n{"prompt"', ':"b"}\r\n']);
    expect(recs).toEqual([
      { kind: 'line', lineNo: 1, value: { prompt: 'a' } },
      expect.objectContaining({ kind: 'bad', lineNo: 4 }),
      { kind: 'bad', lineNo: 5, error: 'must be a JSON object' },
      { kind: 'line', lineNo: 6, value: { prompt: 'b' } },
    ]);
  });
});
