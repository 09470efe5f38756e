import { describe, expect, it } from 'vitest';
import { chunkRecords, recordBytes } from '../src/chunks.ts';

const rec = (valueBytes: number, key = 'k') => ({ topic: 't', key, value: Buffer.alloc(valueBytes) });

describe('chunkRecords', () => {
  it('keeps a small output in one produce call', () => {
    const records = [rec(10), rec(20), rec(30)];
    expect(chunkRecords(records, 1_000)).toEqual([records]);
    expect(chunkRecords([], 1_000)).toEqual([]);
  });

  it('splits in order so that no call exceeds the bound, a record above it going alone', () => {
    const records = [rec(900), rec(300), rec(300), rec(5_000), rec(100), rec(400)];
    const chunks = chunkRecords(records, 1_000);
    expect(chunks.flat()).toEqual(records);
    for (const c of chunks) {
      const total = c.reduce((n, r) => n + recordBytes(r), 0);
      expect(c.length === 1 || total <= 1_000, `chunk of ${c.length} records, ${total} bytes`).toBe(true);
    }
    expect(chunks.map((c) => c.length)).toEqual([1, 2, 1, 2]);
  });

  it('counts keys, values and headers', () => {
    expect(recordBytes({ key: 'abc', value: 'é', headers: { h: ['x', Buffer.alloc(4)] } })).toBe(64 + 3 + 2 + 1 + 1 + 4);
    expect(recordBytes({ value: null })).toBe(64);
  });
});
