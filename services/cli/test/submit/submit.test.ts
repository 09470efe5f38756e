import { describe, expect, it } from 'vitest';
import type { JobSource, SourceFormat, SourceRecord } from '../../src/source/record.ts';
import { submitLines } from '../../src/submit/submit.ts';
import type { OutMessage, SubmitLinesOptions } from '../../src/submit/submit.ts';

function sourceOf(records: SourceRecord[], format: SourceFormat = 'jsonl'): JobSource {
  return {
    format,
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
    encode: (r) => Buffer.from(JSON.stringify(r)),
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

  describe('provider batch lines', () => {
    const openAi = (lineNo: number, customId: string, model = 'auto'): SourceRecord => ({
      kind: 'line',
      lineNo,
      value: { custom_id: customId, method: 'POST', url: '/v1/chat/completions', body: { model, messages: [{ role: 'user', content: `q${lineNo}` }], max_tokens: 7 } },
    });
    const decoded = (sent: OutMessage[][]): Array<Record<string, unknown>> => sent.flat().map((m) => JSON.parse(m.value.toString()) as Record<string, unknown>);

    it('carries custom_id and the body into the request; a named model becomes the only allowed one', async () => {
      const sent: OutMessage[][] = [];
      await submitLines(sourceOf([openAi(1, 'a'), openAi(2, 'b', 'gpt-4o')], 'openai'), options(sent));
      const [a, b] = decoded(sent);
      expect(a).toMatchObject({ requestId: 'job-L1', customId: 'a', prompt: 'q1', maxOutputTokens: 7, allowedModels: null, metadata: { bodyFormat: 'openai.chat.completions', line: '1' } });
      expect(JSON.parse(a!['body'] as string)).toMatchObject({ model: 'auto', max_tokens: 7 });
      expect(b).toMatchObject({ customId: 'b', allowedModels: ['gpt-4o'] });
    });

    it('reports a repeated custom_id with the line it repeats, and sends the first one only', async () => {
      const sent: OutMessage[][] = [];
      const r = await submitLines(sourceOf([openAi(1, 'a'), openAi(2, 'b'), openAi(5, 'a'), openAi(6, 'c')], 'openai'), options(sent));
      expect(sent.flat().map((m) => m.key)).toEqual(['job-L1', 'job-L2', 'job-L6']);
      expect(r.badLines).toEqual([{ lineNo: 5, error: 'custom_id "a" repeats line 1 (custom_id must be unique in a job)' }]);
    });

    it('a refused line does not claim its custom_id', async () => {
      const broken = { kind: 'line' as const, lineNo: 1, value: { custom_id: 'a', method: 'GET', url: '/v1/chat/completions', body: {} } };
      const sent: OutMessage[][] = [];
      const r = await submitLines(sourceOf([broken, openAi(2, 'a')], 'openai'), options(sent));
      expect(sent.flat().map((m) => m.key)).toEqual(['job-L2']);
      expect(r.badLines.map((b) => b.lineNo)).toEqual([1]);
    });

    it('reports a model outside a known pool as a bad line; without a pool it is left to the router', async () => {
      const recs = [openAi(1, 'a', 'gpt-4o'), openAi(2, 'b', 'no-such-model'), openAi(3, 'c')];
      const sent: OutMessage[][] = [];
      const r = await submitLines(sourceOf(recs, 'openai'), options(sent, { knownModels: ['gpt-4o', 'claude'] }));
      expect(sent.flat().map((m) => m.key)).toEqual(['job-L1', 'job-L3']);
      expect(r.badLines).toEqual([{ lineNo: 2, error: "model no-such-model is not in the router's pool (gpt-4o, claude)" }]);
      const unknownPool: OutMessage[][] = [];
      await submitLines(sourceOf(recs, 'openai'), options(unknownPool));
      expect(unknownPool.flat()).toHaveLength(3);
    });

    it('checks Anthropic lines in an anthropic source and native lines are bad there', async () => {
      const sent: OutMessage[][] = [];
      const recs: SourceRecord[] = [
        { kind: 'line', lineNo: 1, value: { custom_id: 'x', params: { max_tokens: 3, messages: [{ role: 'user', content: 'hi' }] } } },
        { kind: 'line', lineNo: 2, value: { prompt: 'native' } },
      ];
      const r = await submitLines(sourceOf(recs, 'anthropic'), options(sent));
      expect(decoded(sent)).toMatchObject([{ customId: 'x', maxOutputTokens: 3, metadata: { bodyFormat: 'anthropic.messages' } }]);
      expect(r.badLines[0]).toMatchObject({ lineNo: 2, error: expect.stringContaining('custom_id: is required') });
    });
  });

  it('refuses a request too large for one Kafka record instead of failing the job', async () => {
    const sent: OutMessage[][] = [];
    const recs: SourceRecord[] = [
      { kind: 'line', lineNo: 1, value: { prompt: 'small' } },
      { kind: 'line', lineNo: 2, value: { prompt: 'x'.repeat(2_000) } },
    ];
    const r = await submitLines(sourceOf(recs), options(sent, { maxRequestBytes: 1_000 }));
    expect(sent.flat().map((m) => m.key)).toEqual(['job-L1']);
    expect(r.badLines[0]).toMatchObject({ lineNo: 2, error: expect.stringContaining('more than the 1000 a Kafka record may hold') });
  });
});
