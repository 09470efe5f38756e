import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parse } from 'csv-parse';
import { DatasetError } from './errors.ts';
import { parsePythonListString } from './python-literal.ts';
import { seededTestMask } from './split.ts';
import type { TokenCounter } from './tokens.ts';
import type { Dataset, DatasetQuery } from './types.ts';

const COST_SUFFIX = '|total_cost';
const RESPONSE_SUFFIX = '|model_response';

interface RawRow {
  id: string;
  task: string;
  prompt: string;
  quality: Map<string, number>;
  cost: Map<string, number>;
  responses: Map<string, string>;
}

interface CsvLayout {
  models: string[];
  idCol: number;
  promptCol: number;
  taskCol: number;
  quality: number[];
  cost: number[];
  response: number[];
}

/**
 * Models are the columns X for which `X|total_cost` also exists: RouterBench names every
 * per-model column after the model, so no model list has to be configured per dataset.
 */
export function layoutFromHeader(header: readonly string[], file: string): CsvLayout {
  const index = new Map<string, number>();
  header.forEach((h, i) => index.set(h, i));
  const models = header.filter((h) => h !== '' && !h.includes('|') && index.has(h + COST_SUFFIX));
  if (models.length === 0) {
    throw new DatasetError('no_models', `${file}: no model columns (a column X with a matching "X${COST_SUFFIX}")`);
  }
  const promptCol = index.get('prompt');
  if (promptCol === undefined) throw new DatasetError('bad_header', `${file}: no "prompt" column`);
  return {
    models,
    idCol: index.get('sample_id') ?? -1,
    promptCol,
    taskCol: index.get('eval_name') ?? -1,
    quality: models.map((m) => index.get(m)!),
    cost: models.map((m) => index.get(m + COST_SUFFIX)!),
    response: models.map((m) => index.get(m + RESPONSE_SUFFIX) ?? -1),
  };
}

function parseCell(v: string | undefined): number {
  if (v === undefined) return Number.NaN;
  const t = v.trim();
  // pandas writes NaN as an empty cell; accept its other spellings too.
  if (t === '' || t === 'nan' || t === 'NaN') return Number.NaN;
  const x = Number(t);
  return Number.isFinite(x) ? x : Number.NaN;
}

async function readCsvFile(path: string): Promise<{ models: string[]; rows: RawRow[] }> {
  const file = basename(path);
  const taskFallback = file.replace(/(_(train|test))?\.csv$/i, '');
  const rows: RawRow[] = [];
  let layout: CsvLayout | undefined;
  const parser = createReadStream(path).pipe(
    parse({ bom: true, relax_column_count: false, skip_empty_lines: true }),
  );
  let record = 0;
  try {
    for await (const rec of parser as AsyncIterable<string[]>) {
      record++;
      if (layout === undefined) {
        layout = layoutFromHeader(rec, file);
        continue;
      }
      const quality = new Map<string, number>();
      const cost = new Map<string, number>();
      const responses = new Map<string, string>();
      let prompt: string;
      try {
        prompt = parsePythonListString(rec[layout.promptCol] ?? '');
        layout.models.forEach((m, k) => {
          quality.set(m, parseCell(rec[layout!.quality[k]!]));
          cost.set(m, parseCell(rec[layout!.cost[k]!]));
          const rc = layout!.response[k]!;
          if (rc >= 0) responses.set(m, parsePythonListString(rec[rc] ?? ''));
        });
      } catch (e) {
        if (e instanceof DatasetError) {
          throw new DatasetError(e.code, `${file} record ${record}: ${e.message}`, { cause: e, line: record });
        }
        throw e;
      }
      rows.push({
        id: layout.idCol >= 0 ? (rec[layout.idCol] ?? '') : `${taskFallback}:${record - 1}`,
        task: layout.taskCol >= 0 ? (rec[layout.taskCol] ?? taskFallback) : taskFallback,
        prompt,
        quality,
        cost,
        responses,
      });
    }
  } catch (e) {
    if (e instanceof DatasetError) throw e;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('CSV_')) {
      throw new DatasetError('bad_line', `${file}: malformed CSV near record ${record + 1}: ${(e as Error).message}`, {
        cause: e,
        line: record + 1,
      });
    }
    throw new DatasetError('io', `${file}: cannot read: ${(e as Error).message}`, { cause: e });
  }
  if (layout === undefined) throw new DatasetError('empty', `${file}: no header`);
  return { models: layout.models, rows };
}

function toQuery(row: RawRow, models: readonly string[], count: TokenCounter, keepResponses: boolean): DatasetQuery {
  const m = models.length;
  const quality = new Float64Array(m);
  const cost = new Float64Array(m);
  const tokens = new Float64Array(m);
  const promptTokens = count(row.prompt);
  models.forEach((model, k) => {
    quality[k] = row.quality.get(model) ?? Number.NaN;
    cost[k] = row.cost.get(model) ?? Number.NaN;
    const response = row.responses.get(model);
    // RouterBench has no token counts: prompt + that model's response, counted with cl100k_base.
    tokens[k] = response === undefined ? Number.NaN : promptTokens + count(response);
  });
  const query: DatasetQuery = { id: row.id, task: row.task, prompt: row.prompt, quality, cost, tokens, promptTokens };
  if (keepResponses) query.responses = models.map((model) => row.responses.get(model));
  return query;
}

export async function listCsvFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((f) => f.toLowerCase().endsWith('.csv')).sort();
  } catch (e) {
    throw new DatasetError('io', `${dir}: cannot list: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * RouterBench CSV layout: a folder of `<task>_train.csv` (history) and `<task>_test.csv` (test)
 * files, or a single CSV file / a folder without that naming, split at random with `seed`.
 * Files are read in name order and rows keep file order, so query order is deterministic.
 */
export async function loadRouterBenchCsv(
  paths: readonly string[],
  name: string,
  count: TokenCounter,
  split: { seed: number; testFraction: number },
  keepResponses = false,
): Promise<Dataset> {
  const files = await Promise.all(paths.map(async (p) => ({ path: p, ...(await readCsvFile(p)) })));
  const models: string[] = [];
  for (const f of files) for (const m of f.models) if (!models.includes(m)) models.push(m);
  const history: DatasetQuery[] = [];
  const test: DatasetQuery[] = [];
  const unsplit: DatasetQuery[] = [];
  for (const f of files) {
    const b = basename(f.path).toLowerCase();
    const target = b.endsWith('_train.csv') ? history : b.endsWith('_test.csv') ? test : unsplit;
    for (const row of f.rows) target.push(toQuery(row, models, count, keepResponses));
  }
  if (unsplit.length > 0) {
    const mask = seededTestMask(unsplit.length, split.testFraction, split.seed);
    unsplit.forEach((q, i) => (mask[i] ? test : history).push(q));
  }
  if (history.length + test.length === 0) throw new DatasetError('empty', `${name}: no rows`);
  return { name, format: 'routerbench-csv', models, history, test };
}

export function joinAll(dir: string, files: readonly string[]): string[] {
  return files.map((f) => join(dir, f));
}
