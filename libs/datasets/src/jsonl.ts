import { createReadStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { DatasetError } from './errors.ts';
import { seededTestMask } from './split.ts';
import type { TokenCounter } from './tokens.ts';
import type { Dataset, DatasetQuery } from './types.ts';

const outcomeSchema = z.object({
  // null is accepted as an explicit "not evaluated", the JSON spelling of NaN.
  quality: z.number().finite().nullable(),
  cost: z.number().finite().nonnegative().nullable(),
  tokens: z.number().finite().nonnegative().optional(),
});

export const jsonlLineSchema = z.object({
  id: z.union([z.string().min(1), z.number().int()]).transform(String),
  split: z.enum(['history', 'test']).optional(),
  task: z.string().default('default'),
  prompt: z.string(),
  outcomes: z.record(z.string().min(1), outcomeSchema),
});
export type JsonlLine = z.infer<typeof jsonlLineSchema>;

function describe(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}

/**
 * Generic JSONL dataset, one query per line. Models are the union of the `outcomes` keys in
 * order of first appearance; a model absent from a line is missing (NaN) for that query.
 * `tokens`, when absent, stays NaN: consumers fall back to `promptTokens` or neighbours' counts.
 */
export async function loadJsonl(
  path: string,
  count: TokenCounter,
  split: { seed: number; testFraction: number },
): Promise<Dataset> {
  const lines: { line: number; value: JsonlLine }[] = [];
  const models: string[] = [];
  const seen = new Set<string>();
  let lineNo = 0;
  try {
    const rl = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
    for await (const text of rl) {
      lineNo++;
      if (text.trim() === '') continue;
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (e) {
        throw new DatasetError('bad_line', `${basename(path)} line ${lineNo}: invalid JSON: ${(e as Error).message}`, {
          cause: e,
          line: lineNo,
        });
      }
      const parsed = jsonlLineSchema.safeParse(json);
      if (!parsed.success) {
        throw new DatasetError('bad_line', `${basename(path)} line ${lineNo}: ${describe(parsed.error)}`, {
          cause: parsed.error,
          line: lineNo,
        });
      }
      for (const m of Object.keys(parsed.data.outcomes)) {
        if (!seen.has(m)) {
          seen.add(m);
          models.push(m);
        }
      }
      lines.push({ line: lineNo, value: parsed.data });
    }
  } catch (e) {
    if (e instanceof DatasetError) throw e;
    throw new DatasetError('io', `${path}: cannot read: ${(e as Error).message}`, { cause: e });
  }
  if (lines.length === 0) throw new DatasetError('empty', `${basename(path)}: no queries`);
  if (models.length === 0) throw new DatasetError('no_models', `${basename(path)}: no line has any outcome`);

  const queries = lines.map(({ value }) => toQuery(value, models, count));
  const unsplitIdx: number[] = [];
  lines.forEach(({ value }, i) => {
    if (value.split === undefined) unsplitIdx.push(i);
  });
  const isTest = new Uint8Array(lines.length);
  lines.forEach(({ value }, i) => {
    if (value.split === 'test') isTest[i] = 1;
  });
  const mask = seededTestMask(unsplitIdx.length, split.testFraction, split.seed);
  unsplitIdx.forEach((idx, j) => (isTest[idx] = mask[j]!));
  const history: DatasetQuery[] = [];
  const test: DatasetQuery[] = [];
  queries.forEach((q, i) => (isTest[i] ? test : history).push(q));
  return { name: basename(path).replace(/\.(jsonl|ndjson)$/i, ''), format: 'jsonl', models, history, test };
}

function toQuery(v: JsonlLine, models: readonly string[], count: TokenCounter): DatasetQuery {
  const m = models.length;
  const quality = new Float64Array(m).fill(Number.NaN);
  const cost = new Float64Array(m).fill(Number.NaN);
  const tokens = new Float64Array(m).fill(Number.NaN);
  models.forEach((model, k) => {
    const o = v.outcomes[model];
    if (o === undefined) return;
    quality[k] = o.quality ?? Number.NaN;
    cost[k] = o.cost ?? Number.NaN;
    tokens[k] = o.tokens ?? Number.NaN;
  });
  return { id: v.id, task: v.task, prompt: v.prompt, quality, cost, tokens, promptTokens: count(v.prompt) };
}

function finiteOrNull(x: number | undefined): number | null {
  return x !== undefined && Number.isFinite(x) ? x : null;
}

/** Serialises a dataset in the generic JSONL form (history lines first), loadable by `loadDataset`. */
export async function writeJsonlDataset(ds: Dataset, path: string): Promise<void> {
  const parts: string[] = [];
  const emit = (q: DatasetQuery, split: 'history' | 'test'): void => {
    const outcomes: Record<string, { quality: number | null; cost: number | null; tokens?: number }> = {};
    ds.models.forEach((model, k) => {
      const quality = finiteOrNull(q.quality[k]);
      const cost = finiteOrNull(q.cost[k]);
      const tokens = finiteOrNull(q.tokens[k]);
      if (quality === null && cost === null && tokens === null) return;
      outcomes[model] = tokens === null ? { quality, cost } : { quality, cost, tokens };
    });
    parts.push(JSON.stringify({ id: q.id, split, task: q.task, prompt: q.prompt, outcomes }));
  };
  for (const q of ds.history) emit(q, 'history');
  for (const q of ds.test) emit(q, 'test');
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, parts.join('\n') + '\n', 'utf8');
  } catch (e) {
    throw new DatasetError('io', `${path}: cannot write: ${(e as Error).message}`, { cause: e });
  }
}
