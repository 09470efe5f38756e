import { describe, expect, it } from 'vitest';
import { customIdLines } from '../../src/label/custom-ids.ts';
import type { SourceRecord } from '../../src/source/record.ts';

async function* recs(values: unknown[]): AsyncIterable<SourceRecord> {
  let lineNo = 0;
  for (const value of values) yield { kind: 'line', lineNo: ++lineNo, value };
}

const openaiLine = (id: string) => ({ custom_id: id, method: 'POST', url: '/v1/chat/completions', body: { model: 'auto', messages: [{ role: 'user', content: `q ${id}` }], max_tokens: 16 } });

describe('customIdLines', () => {
  it('resolves the custom_id of an OpenAI batch file to its line', async () => {
    const m = await customIdLines(recs([openaiLine('a'), openaiLine('b'), openaiLine('a')]), 'openai');
    expect(m.get('b')).toEqual(['2']);
    expect(m.get('a')).toEqual(['1', '3']);
  });

  it('resolves a native line id, and skips lines that do not check', async () => {
    const m = await customIdLines(recs([{ id: 7, prompt: 'hello' }, { prompt: 'no id' }, { id: 'x' }]), 'jsonl');
    expect([...m.entries()]).toEqual([['7', ['1']]]);
  });
});
