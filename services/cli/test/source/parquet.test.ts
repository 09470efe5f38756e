import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { afterEach, describe, expect, it } from 'vitest';
import { openJobSource } from '../../src/source/open.ts';
import type { SourceRecord } from '../../src/source/record.ts';

describe('Parquet jobs', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('reads rows across row groups in order, numbered from 1, with typed columns normalised', async () => {
    dir = await mkdtemp(join(tmpdir(), 'parquet-'));
    const file = join(dir, 'job.parquet');
    const n = 25;
    parquetWriteFile({
      filename: file,
      rowGroupSize: 10,
      columnData: [
        { name: 'prompt', data: Array.from({ length: n }, (_, i) => (i === 3 ? null : `q${i + 1}`)), type: 'STRING' },
        { name: 'max_output_tokens', data: Array.from({ length: n }, (_, i) => BigInt(100 + i)), type: 'INT64' },
        { name: 'metadata.task', data: Array.from({ length: n }, () => 'arc'), type: 'STRING' },
      ],
    });
    const source = await openJobSource(file);
    expect(source.format).toBe('parquet');
    const out: SourceRecord[] = [];
    for await (const r of source.records()) out.push(r);
    expect(out).toHaveLength(n);
    expect(out.map((r) => r.lineNo)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(out[0]).toEqual({ kind: 'line', lineNo: 1, value: { prompt: 'q1', maxOutputTokens: 100, metadata: { task: 'arc' } } });
    // A null prompt is an absent field: validation then reports "needs a prompt".
    expect(out[3]).toEqual({ kind: 'line', lineNo: 4, value: { maxOutputTokens: 103, metadata: { task: 'arc' } } });
    expect(source.bytesRead()).toBeGreaterThan(0);
  });
});
