import { describe, expect, it } from 'vitest';
import type { RequestV1 } from '@switchyard/contracts';
import type { JobSource, SourceRecord } from '../../src/source/record.ts';
import { submitLines } from '../../src/submit/submit.ts';
import type { OutMessage, SubmitLinesOptions } from '../../src/submit/submit.ts';

function sourceOf(records: SourceRecord[]): JobSource {
  return {
    format: 'jsonl',
    sizeBytes: records.length,
    bytesRead: () => 0,
    records: async function* () {
      yield* records;
    },
  };
}

function lines(n: number): SourceRecord[] {
  return Array.from({ length: n }, (_, i) => ({ kind: 'line' as const, lineNo: i + 1, value: { prompt: `p${i + 1}` } }));
}

function options(sent: OutMessage[][], over: Partial<SubmitLinesOptions> = {}): SubmitLinesOptions {
  return {
    jobId: 'job',
    tenant: 't',
    defaults: { maxOutputTokens: 10, priority: 0 },
    encode: (r: RequestV1) => Buffer.from(JSON.stringify(r)),
    send: async (m) => {
      sent.push([...m]);
    },
    chunkMessages: 3,
    chunkBytes: 1 << 20,
    keepBadLines: 2,
    clock: () => 1,
    ...over,
  };
}

describe('submitLines', () => {
  it('sends every good line once, in order, in bounded chunks, and reports bad ones by line', async () => {
    const recs: SourceRecord[] = [...lines(7)];
    recs.splice(2, 0, { kind: 'bad', lineNo: 100, error: 'not valid JSON' });
    recs.push({ kind: 'line', lineNo: 200, value: { prompt: '' } }, { kind: 'line', lineNo: 201, value: { nope: 1 } });
    const sent: OutMessage[][] = [];
    const badSeen: number[] = [];
    const r = await submitLines(sourceOf(recs), options(sent, { onBadLine: (b) => badSeen.push(b.lineNo) }));
    expect(sent.map((c) => c.length)).toEqual([3, 3, 1]);
    expect(sent.flat().map((m) => m.key)).toEqual(['job-L1', 'job-L2', 'job-L3', 'job-L4', 'job-L5', 'job-L6', 'job-L7']);
    expect(r).toMatchObject({ linesRead: 10, produced: 7, bad: 3, lastLineNo: 201 });
    expect(r.badLines.map((b) => b.lineNo)).toEqual([100, 200]);
    expect(badSeen).toEqual([100, 200, 201]);
  });

  it('gives the same request ids when the same source is submitted again', async () => {
    const a: OutMessage[][] = [];
    const b: OutMessage[][] = [];
    await submitLines(sourceOf(lines(5)), options(a));
    await submitLines(sourceOf(lines(5)), options(b));
    expect(b.flat().map((m) => m.key)).toEqual(a.flat().map((m) => m.key));
  });

  it('fails with produce_failed and counts only acknowledged requests when Kafka refuses a chunk', async () => {
    let calls = 0;
    const failing = options([], {
      send: async () => {
        calls += 1;
        if (calls === 2) throw new Error('broker down');
      },
    });
    await expect(submitLines(sourceOf(lines(9)), failing)).rejects.toMatchObject({ code: 'produce_failed', message: expect.stringContaining('after 3 were acknowledged') });
  });

  it('keeps at most one chunk in flight while reading the next', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const sent: OutMessage[][] = [];
    await submitLines(
      sourceOf(lines(20)),
      options(sent, {
        chunkMessages: 2,
        send: async (m) => {
          inFlight += 1;
          maxInFlight = Math.max(maxInFlight, inFlight);
          await new Promise((r) => setTimeout(r, 1));
          sent.push([...m]);
          inFlight -= 1;
        },
      }),
    );
    expect(maxInFlight).toBe(1);
    expect(sent.flat()).toHaveLength(20);
  });
});
