import { existsSync } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatasetError } from './errors.ts';
import { loadJsonl } from './jsonl.ts';
import { joinAll, listCsvFiles, loadRouterBenchCsv } from './routerbench-csv.ts';
import { tokenCounterFor } from './tokens.ts';
import type { Dataset, LoadOptions } from './types.ts';

export type DetectedFormat =
  | { format: 'routerbench-csv'; files: string[] }
  | { format: 'jsonl'; file: string };

async function firstNonBlankChar(path: string): Promise<string | undefined> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead).toString('utf8').replace(/^\uFEFF/, '').trimStart()[0];
  } finally {
    await fh.close();
  }
}

/**
 * Decides the format from the path alone: a folder of CSV files (RouterBench layout), a folder
 * holding exactly one JSONL file, a `.jsonl`/`.ndjson` file, or a file whose first character is
 * `{` (JSONL) or anything else with a `.csv` name (single RouterBench-style CSV).
 */
export async function detectFormat(path: string): Promise<DetectedFormat> {
  let st;
  try {
    st = await stat(path);
  } catch (e) {
    throw new DatasetError('io', `${path}: ${(e as Error).message}`, { cause: e });
  }
  if (st.isDirectory()) {
    const csv = await listCsvFiles(path);
    if (csv.length > 0) return { format: 'routerbench-csv', files: joinAll(path, csv) };
    const jsonl = (await readdir(path)).filter((f) => /\.(jsonl|ndjson)$/i.test(f)).sort();
    if (jsonl.length === 1) return { format: 'jsonl', file: resolve(path, jsonl[0]!) };
    throw new DatasetError(
      'format_unknown',
      `${path}: expected *.csv files (RouterBench layout) or exactly one *.jsonl file, found ${jsonl.length} JSONL files and no CSV`,
    );
  }
  if (/\.(jsonl|ndjson)$/i.test(path)) return { format: 'jsonl', file: path };
  const first = await firstNonBlankChar(path).catch((e: unknown) => {
    throw new DatasetError('io', `${path}: ${(e as Error).message}`, { cause: e });
  });
  if (first === '{') return { format: 'jsonl', file: path };
  if (/\.csv$/i.test(path)) return { format: 'routerbench-csv', files: [path] };
  throw new DatasetError('format_unknown', `${path}: neither JSONL (first character "{") nor a .csv file`);
}

/**
 * Loads a routing dataset, detecting its format (see `detectFormat`). Token counts: JSONL
 * `tokens` when given (else NaN); for RouterBench, which has none, prompt tokens plus the
 * tokens of that model's recorded response, both counted with cl100k_base: an approximation
 * of the billed tokens (vendors' tokenizers and chat templates differ).
 */
export async function loadDataset(path: string, opts: LoadOptions = {}): Promise<Dataset> {
  const seed = opts.seed ?? 1;
  const testFraction = opts.testFraction ?? 0.3;
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new RangeError(`testFraction must be in (0, 1), got ${testFraction}`);
  }
  const count = tokenCounterFor(opts.countTokens);
  const detected = await detectFormat(path);
  if (detected.format === 'jsonl') return loadJsonl(detected.file, count, { seed, testFraction });
  const name = basename(resolve(path)).replace(/\.csv$/i, '');
  return loadRouterBenchCsv(detected.files, name, count, { seed, testFraction }, opts.keepResponses ?? false);
}

const SUBSET = ['shared', 'data', 'routerbench-subset'] as const;

/**
 * `../shared/data/routerbench-subset` relative to the working directory or to the repository
 * root, when it exists; undefined otherwise (callers then fall back to synthetic data).
 */
export function defaultDatasetPath(): string | undefined {
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  const candidates = [resolve(process.cwd(), '..', ...SUBSET), resolve(repoRoot, '..', ...SUBSET)];
  return candidates.find((c) => existsSync(c));
}
