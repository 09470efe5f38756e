import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DatasetError,
  detectFormat,
  generateSyntheticDataset,
  loadDataset,
  writeJsonlDataset,
  type Dataset,
} from '../src/index.ts';

function csvField(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}
function csv(rows: string[][]): string {
  return rows.map((r) => r.map(csvField).join(',')).join('\n') + '\n';
}

const MODELS = ['org/model-a', 'model-b', 'model-c'];
const HEADER = [
  '',
  'sample_id',
  'prompt',
  'eval_name',
  ...MODELS,
  ...MODELS.map((m) => `${m}|model_response`),
  ...MODELS.map((m) => `${m}|total_cost`),
  'oracle_model_to_route_to',
];

function row(i: number, id: string, prompt: string, task: string, q: string[], resp: string[], cost: string[]): string[] {
  return [String(i), id, prompt, task, ...q, ...resp, ...cost, 'model-b'];
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'datasets-test-'));
  const rb = join(dir, 'rb');
  await mkdir(rb);
  await writeFile(
    join(rb, 'quiz_train.csv'),
    csv([
      HEADER,
      row(0, 'quiz.0', `['Which one?\\nA) x\\nB) y\\nAnswer:']`, 'quiz', ['1.0', '0.0', ''], [`['A']`, `['B']`, `['A']`], ['0.001', '0.0002', '0.0005']),
      // Double-quoted Python literal (the prompt contains a single quote) and a real newline in a field.
      row(1, 'quiz.1', `["Kyle's \\"warm\\" socks,\n second line"]`, 'quiz', ['0.0', '1.0', '1.0'], [`['no']`, `["it's B"]`, `['B\\n']`], ['0.002', '0.0001', '0.0004']),
    ]),
  );
  await writeFile(
    join(rb, 'quiz_test.csv'),
    csv([HEADER, row(7, 'quiz.9', `['last one']`, 'quiz', ['', '', '1.0'], [`['']`, `['x']`, `['y']`], ['0.003', '0.0003', '0.0006'])]),
  );
  const lines = [
    { id: 'a', split: 'history', task: 't1', prompt: 'p a', outcomes: { m1: { quality: 0.5, cost: 0.01, tokens: 100 }, m2: { quality: 1, cost: 0.02 } } },
    { id: 'b', split: 'test', task: 't1', prompt: 'p b', outcomes: { m2: { quality: 0, cost: 0.03, tokens: 7 } } },
    { id: 'c', task: 't2', prompt: 'p c', outcomes: { m1: { quality: 0.25, cost: 0.04 }, m3: { quality: 1, cost: 0.05 } } },
  ];
  await writeFile(join(dir, 'small.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  const unsplit = Array.from({ length: 100 }, (_, i) => JSON.stringify({ id: `u${i}`, task: 't', prompt: `q ${i}`, outcomes: { m: { quality: 1, cost: 0.1 } } }));
  await writeFile(join(dir, 'unsplit.jsonl'), unsplit.join('\n'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('RouterBench CSV folder', () => {
  it('discovers models from the header and maps train/test files to history/test', async () => {
    const ds = await loadDataset(join(dir, 'rb'));
    expect(ds.format).toBe('routerbench-csv');
    expect(ds.name).toBe('rb');
    expect(ds.models).toEqual(MODELS);
    expect(ds.history.map((q) => q.id)).toEqual(['quiz.0', 'quiz.1']);
    expect(ds.test.map((q) => q.id)).toEqual(['quiz.9']);
    expect(ds.history[0]!.task).toBe('quiz');
  });

  it('parses list-literal prompts with escapes, both quote styles and multi-line fields', async () => {
    const ds = await loadDataset(join(dir, 'rb'));
    expect(ds.history[0]!.prompt).toBe('Which one?\nA) x\nB) y\nAnswer:');
    expect(ds.history[1]!.prompt).toBe(`Kyle's "warm" socks,\n second line`);
  });

  it('keeps empty correctness cells as NaN and costs as numbers', async () => {
    const ds = await loadDataset(join(dir, 'rb'));
    expect(Array.from(ds.history[0]!.quality)).toEqual([1, 0, Number.NaN]);
    expect(Array.from(ds.test[0]!.quality)).toEqual([Number.NaN, Number.NaN, 1]);
    expect(Array.from(ds.history[1]!.cost)).toEqual([0.002, 0.0001, 0.0004]);
  });

  it('counts tokens as prompt + that model response with cl100k, or by chars/4 when asked', async () => {
    const ds = await loadDataset(join(dir, 'rb'));
    const q = ds.history[0]!;
    expect(q.promptTokens).toBeGreaterThan(5);
    expect(q.tokens[0]).toBe(q.promptTokens + 1); // "A" is one token
    const fast = await loadDataset(join(dir, 'rb'), { countTokens: false });
    expect(fast.history[0]!.promptTokens).toBe(Math.ceil(q.prompt.length / 4));
  });

  it('keeps each model\'s response text only when asked', async () => {
    expect((await loadDataset(join(dir, 'rb'))).history[0]!.responses).toBeUndefined();
    const ds = await loadDataset(join(dir, 'rb'), { keepResponses: true, countTokens: false });
    expect(ds.history[1]!.responses).toEqual(['no', "it's B", 'B\n']);
    expect(ds.test[0]!.responses).toEqual(['', 'x', 'y']);
  });

  it('names the record of a malformed literal', async () => {
    const bad = join(dir, 'bad-rb');
    await mkdir(bad);
    await writeFile(join(bad, 'x_train.csv'), csv([HEADER, row(0, 'x.0', `['open`, 'x', ['1', '1', '1'], [`['a']`, `['a']`, `['a']`], ['1', '1', '1'])]));
    await expect(loadDataset(bad)).rejects.toMatchObject({ code: 'bad_literal', line: 2 });
  });

  it('refuses a CSV without per-model cost columns', async () => {
    const none = join(dir, 'no-models');
    await mkdir(none);
    await writeFile(join(none, 'y_train.csv'), csv([['sample_id', 'prompt'], ['1', `['x']`]]));
    await expect(loadDataset(none)).rejects.toMatchObject({ code: 'no_models' });
  });
});

describe('JSONL', () => {
  it('unions models in order of appearance, missing outcomes are NaN, tokens optional', async () => {
    const ds = await loadDataset(join(dir, 'small.jsonl'));
    expect(ds.format).toBe('jsonl');
    expect(ds.models).toEqual(['m1', 'm2', 'm3']);
    const a = [...ds.history, ...ds.test].find((q) => q.id === 'a')!;
    expect(Array.from(a.quality)).toEqual([0.5, 1, Number.NaN]);
    expect(Array.from(a.tokens)).toEqual([100, Number.NaN, Number.NaN]);
    expect(ds.test.map((q) => q.id)).toContain('b');
    expect(ds.history.map((q) => q.id)).toContain('a');
  });

  it('splits lines without "split" at random, reproducibly, with the requested fraction', async () => {
    const p = join(dir, 'unsplit.jsonl');
    const a = await loadDataset(p, { seed: 3, testFraction: 0.25, countTokens: false });
    const b = await loadDataset(p, { seed: 3, testFraction: 0.25, countTokens: false });
    const c = await loadDataset(p, { seed: 4, testFraction: 0.25, countTokens: false });
    expect(a.test.length).toBe(25);
    expect(a.history.length).toBe(75);
    expect(a.test.map((q) => q.id)).toEqual(b.test.map((q) => q.id));
    expect(a.test.map((q) => q.id)).not.toEqual(c.test.map((q) => q.id));
    const d = await loadDataset(p, { countTokens: false });
    expect(d.test.length).toBe(30);
  });

  it.each([
    ['{"id": "x", "prompt": "p", "outcomes": {"m": {"quality": "high", "cost": 1}}}', /line 2: outcomes\.m\.quality/],
    ['{"id": "x", "prompt": "p"}', /line 2: outcomes/],
    ['{"id": "x", "prompt": "p", "split": "train", "outcomes": {}}', /line 2: split/],
    ['{not json', /line 2: invalid JSON/],
  ])('rejects a bad line with its number: %s', async (line, message) => {
    const p = join(dir, `bad-${Math.random().toString(36).slice(2)}.jsonl`);
    await writeFile(p, '{"id": "ok", "prompt": "p", "outcomes": {"m": {"quality": 1, "cost": 0}}}\n' + line + '\n');
    const err = await loadDataset(p).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as DatasetError).code).toBe('bad_line');
    expect((err as DatasetError).line).toBe(2);
    expect((err as DatasetError).message).toMatch(message);
  });
});

describe('format detection', () => {
  it('tells the layouts apart and names unknown ones', async () => {
    expect((await detectFormat(join(dir, 'rb'))).format).toBe('routerbench-csv');
    expect((await detectFormat(join(dir, 'small.jsonl'))).format).toBe('jsonl');
    const odd = join(dir, 'notes.txt');
    await writeFile(odd, 'hello');
    await expect(detectFormat(odd)).rejects.toMatchObject({ code: 'format_unknown' });
    await expect(detectFormat(join(dir, 'missing'))).rejects.toMatchObject({ code: 'io' });
  });
});

describe('writeJsonlDataset', () => {
  it('round-trips a dataset through JSONL, missing values included', async () => {
    const ds: Dataset = generateSyntheticDataset({ nHistory: 40, nTest: 10, models: 4, seed: 5, missingRate: 0.1 });
    const p = join(dir, 'out', 'synthetic.jsonl');
    await writeJsonlDataset(ds, p);
    const back = await loadDataset(p, { countTokens: false });
    expect(back.models).toEqual(ds.models);
    expect(back.history.length).toBe(40);
    expect(back.test.length).toBe(10);
    for (const [x, y] of [...ds.history, ...ds.test].map((q, i) => [q, [...back.history, ...back.test][i]!] as const)) {
      expect(y.id).toBe(x.id);
      expect(y.prompt).toBe(x.prompt);
      expect(Array.from(y.quality)).toEqual(Array.from(x.quality));
      expect(Array.from(y.cost)).toEqual(Array.from(x.cost));
      expect(Array.from(y.tokens)).toEqual(Array.from(x.tokens));
    }
  });
});
