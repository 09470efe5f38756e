/**
 * Chooses the embedder by what routing needs from it: k = 5 neighbour estimates of per-model
 * quality (PORT's d^, Wu & Silwal 2025), side by side for several configurations, with
 * embedding throughput on one core. The choice is made on a history-only holdout (`--split
 * holdout`, the default: a seeded 30% of the history plays the stream, the rest the
 * reference set); `--split test` reports the history -> test split, to confirm, never to choose.
 *
 *   node --import tsx bench/embedding/main.ts [--data PATH] [--k 5] [--split holdout|test]
 *       [--only REGEX] [--json OUT]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Command } from 'commander';
import { ExactIndex } from '@switchyard/ann';
import { defaultDatasetPath, generateSyntheticDataset, loadDataset, type Dataset } from '@switchyard/datasets';
import { createHashingEmbedder, createLsaEmbedder, type Embedder, type HashingEmbedderOptions, type LsaEmbedderOptions } from '@switchyard/embedding';
import { seededTestMask } from '@switchyard/datasets';

type FittableEmbedder = Embedder & { fit(corpus: Iterable<string>): unknown };

interface Config {
  config: string;
  options: HashingEmbedderOptions;
  /** LSA over the hashing features in `options` (which then set the SVD's input width). */
  lsa?: LsaEmbedderOptions;
}

interface Row {
  config: string;
  options: HashingEmbedderOptions;
  lsa?: LsaEmbedderOptions;
  dim: number;
  fitMs: number;
  embedPerSecond: number;
  mae: number;
  auc: number;
  sameTaskNeighbours: number;
  routedQuality: number;
  routedQualitySe: number;
}

const CHARS35 = { wordNgramMax: 0, charNgramMin: 3, charNgramMax: 5 } as const;

const CONFIGS: Config[] = [
  { config: 'words1', options: { wordNgramMax: 1, charNgramMax: 0 } },
  { config: 'words1 d1024', options: { dim: 1024, wordNgramMax: 1, charNgramMax: 0 } },
  { config: 'words1-2', options: { wordNgramMax: 2, charNgramMax: 0 } },
  { config: 'words1-2 noidf', options: { wordNgramMax: 2, charNgramMax: 0, idf: false } },
  { config: 'chars3-5 only', options: { wordNgramMax: 0, charNgramMin: 3, charNgramMax: 5 } },
  { config: 'chars3-5 only rawtf', options: { wordNgramMax: 0, charNgramMin: 3, charNgramMax: 5, sublinearTf: false } },
  { config: 'chars3-5 only noidf', options: { wordNgramMax: 0, charNgramMin: 3, charNgramMax: 5, idf: false } },
  { config: 'chars2-4 only', options: { wordNgramMax: 0, charNgramMin: 2, charNgramMax: 4 } },
  { config: 'chars3-6 only', options: { wordNgramMax: 0, charNgramMin: 3, charNgramMax: 6 } },
  { config: 'chars3-5 only d128', options: { dim: 128, wordNgramMax: 0, charNgramMin: 3, charNgramMax: 5 } },
  { config: 'chars3-5 only d512', options: { dim: 512, wordNgramMax: 0, charNgramMin: 3, charNgramMax: 5 } },
  { config: 'chars3-5 only d1024', options: { dim: 1024, wordNgramMax: 0, charNgramMin: 3, charNgramMax: 5 } },
  { config: 'words1+chars3-5', options: { wordNgramMax: 1, charNgramMin: 3, charNgramMax: 5 } },
  { config: 'words1-2+chars3-5', options: { wordNgramMax: 2, charNgramMin: 3, charNgramMax: 5 } },
  { config: 'words1-3+chars3-5', options: { wordNgramMax: 3, charNgramMin: 3, charNgramMax: 5 } },
  { config: 'words1-2+chars3-5 d1024', options: { dim: 1024, wordNgramMax: 2, charNgramMin: 3, charNgramMax: 5 } },
  { config: 'chars3-5 only d1024 rp256', options: { dim: 1024, projectTo: 256, wordNgramMax: 0, charNgramMin: 3, charNgramMax: 5 } },
  { config: 'words1-2+chars3-5 d1024 rp256', options: { dim: 1024, projectTo: 256, wordNgramMax: 2, charNgramMin: 3, charNgramMax: 5 } },
  { config: 'lsa256 of chars3-5 d2048', options: { ...CHARS35, dim: 2048 }, lsa: { dim: 256 } },
  { config: 'lsa128 of chars3-5 d2048', options: { ...CHARS35, dim: 2048 }, lsa: { dim: 128 } },
  { config: 'lsa256 of chars3-5 d4096', options: { ...CHARS35, dim: 4096 }, lsa: { dim: 256 } },
  { config: 'lsa256 of words1+chars3-5 d4096', options: { wordNgramMax: 1, charNgramMin: 3, charNgramMax: 5, dim: 4096 }, lsa: { dim: 256 } },
  { config: 'lsa256 of words1-2 d4096', options: { wordNgramMax: 2, charNgramMax: 0, dim: 4096 }, lsa: { dim: 256 } },
];

function makeEmbedder(c: Config): FittableEmbedder {
  return c.lsa === undefined ? createHashingEmbedder(c.options) : createLsaEmbedder({ ...c.lsa, base: c.options });
}

/** The history split in two, seeded: the tuning stream never touches the test split. */
function historyHoldout(ds: Dataset, fraction: number, seed: number): Dataset {
  const mask = seededTestMask(ds.history.length, fraction, seed);
  return { ...ds, name: `${ds.name}[history holdout ${fraction}]`, history: ds.history.filter((_, i) => mask[i] === 0), test: ds.history.filter((_, i) => mask[i] === 1) };
}

/** Mann-Whitney AUC of score as a predictor of label (ties count half). */
function auc(scores: number[], labels: number[]): number {
  const idx = scores.map((_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let rankSumPos = 0;
  let nPos = 0;
  let i = 0;
  while (i < idx.length) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]!] === scores[idx[i]!]) j++;
    const rank = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) {
      if (labels[idx[t]!] === 1) {
        rankSumPos += rank;
        nPos++;
      }
    }
    i = j + 1;
  }
  const nNeg = idx.length - nPos;
  return nPos === 0 || nNeg === 0 ? Number.NaN : (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

function evaluate(ds: Dataset, c: Config, k: number, prior: number[]): Row {
  const M = ds.models.length;
  const e = makeEmbedder(c);
  const t = performance.now();
  e.fit(ds.history.map((q) => q.prompt));
  const fitMs = performance.now() - t;
  const hist = e.embedBatch(ds.history.map((q) => q.prompt));
  const testTexts = ds.test.map((q) => q.prompt);
  e.embedBatch(testTexts); // warm the JIT and the subword cache as a running router would be
  // Throughput per core from process CPU time, best of three: on a shared machine wall time
  // measures the neighbours' load as much as this code.
  let test: Float32Array = new Float32Array(0);
  let bestCpuMs = Infinity;
  for (let r = 0; r < 3; r++) {
    const c0 = process.cpuUsage();
    test = e.embedBatch(testTexts);
    const c = process.cpuUsage(c0);
    bestCpuMs = Math.min(bestCpuMs, (c.user + c.system) / 1000);
  }
  const embedPerSecond = testTexts.length / (bestCpuMs / 1000);
  const index = new ExactIndex(e.dim, ds.history.length);
  index.add(hist);
  const { ids } = index.searchBatch(test, k);

  let absErr = 0;
  let nErr = 0;
  const s: number[] = [];
  const l: number[] = [];
  let sameTask = 0;
  const routed: number[] = [];
  const est = new Float64Array(M);
  ds.test.forEach((q, qi) => {
    for (let m = 0; m < M; m++) {
      let sum = 0;
      let n = 0;
      for (let j = 0; j < k; j++) {
        const id = ids[qi * k + j]!;
        if (id < 0) continue;
        const v = ds.history[id]!.quality[m]!;
        if (!Number.isNaN(v)) {
          sum += v;
          n++;
        }
      }
      est[m] = n > 0 ? sum / n : 0;
      const truth = q.quality[m]!;
      if (!Number.isNaN(truth)) {
        absErr += Math.abs(est[m]! - truth);
        nErr++;
        s.push(est[m]!);
        l.push(truth >= 0.5 ? 1 : 0);
      }
    }
    for (let j = 0; j < k; j++) {
      const id = ids[qi * k + j]!;
      if (id >= 0 && ds.history[id]!.task === q.task) sameTask++;
    }
    // Ties (several models at 5/5) are broken by the model's history mean, not by column order,
    // which would favour whichever model the CSV lists first.
    let best = 0;
    for (let m = 1; m < M; m++) {
      if (est[m]! > est[best]! || (est[m] === est[best] && prior[m]! > prior[best]!)) best = m;
    }
    const v = q.quality[best]!;
    routed.push(Number.isNaN(v) ? 0 : v);
  });
  const mean = routed.reduce((a, b) => a + b, 0) / routed.length;
  const variance = routed.reduce((a, b) => a + (b - mean) ** 2, 0) / (routed.length - 1);
  return {
    config: c.config,
    options: c.options,
    ...(c.lsa !== undefined ? { lsa: c.lsa } : {}),
    dim: e.dim,
    fitMs,
    embedPerSecond,
    mae: absErr / nErr,
    auc: auc(s, l),
    sameTaskNeighbours: sameTask / (ds.test.length * k),
    routedQuality: mean,
    routedQualitySe: Math.sqrt(variance / routed.length),
  };
}

function referencePoints(ds: Dataset): { bestSingle: string; bestSingleQuality: number; oracle: number; histMean: number[] } {
  const M = ds.models.length;
  const histMean = ds.models.map((_, m) => {
    const v = ds.history.map((q) => q.quality[m]!).filter((x) => !Number.isNaN(x));
    return v.reduce((a, b) => a + b, 0) / v.length;
  });
  const best = histMean.indexOf(Math.max(...histMean));
  const onTest = ds.test.reduce((a, q) => a + (Number.isNaN(q.quality[best]!) ? 0 : q.quality[best]!), 0) / ds.test.length;
  const oracle =
    ds.test.reduce((a, q) => a + Math.max(0, ...Array.from(q.quality).filter((x) => !Number.isNaN(x))), 0) / ds.test.length;
  void M;
  return { bestSingle: ds.models[best]!, bestSingleQuality: onTest, oracle, histMean };
}

async function main(): Promise<void> {
  const cli = new Command()
    .option('--data <path>', 'dataset path (RouterBench CSV folder or JSONL)')
    .option('--k <k>', 'neighbours', '5')
    .option('--split <s>', 'holdout (a seeded 30% of the history as the stream: choose here) or test (confirm)', 'holdout')
    .option('--only <regex>', 'run only the configs whose name matches')
    .option('--json <out>', 'write results as JSON')
    .parse();
  const opts = cli.opts<{ data?: string; k: string; split: string; only?: string; json?: string }>();
  if (opts.split !== 'holdout' && opts.split !== 'test') throw new Error('--split must be holdout or test');
  const k = Number(opts.k);
  const path = opts.data ?? defaultDatasetPath();
  const full = path
    ? await loadDataset(path, { countTokens: false })
    : generateSyntheticDataset({ nHistory: 2225, nTest: 953, models: 11, seed: 1 });
  const ds = opts.split === 'holdout' ? historyHoldout(full, 0.3, 7) : full;
  console.log(`dataset ${ds.name}: ${ds.history.length} history, ${ds.test.length} test, ${ds.models.length} models, k=${k}`);
  const ref = referencePoints(ds);
  console.log(`reference: best single model ${ref.bestSingle} ${ref.bestSingleQuality.toFixed(3)}, oracle ${ref.oracle.toFixed(3)}`);
  const rows: Row[] = [];
  const only = opts.only === undefined ? null : new RegExp(opts.only);
  for (const c of CONFIGS) if (only === null || only.test(c.config)) rows.push(evaluate(ds, c, k, ref.histMean));
  console.table(
    rows.map((r) => ({
      config: r.config,
      dim: r.dim,
      'MAE d^': r.mae.toFixed(4),
      'AUC d^': r.auc.toFixed(4),
      'same-task nbrs': r.sameTaskNeighbours.toFixed(3),
      'argmax d^ quality': `${r.routedQuality.toFixed(3)} ±${r.routedQualitySe.toFixed(3)}`,
      'embed/s (cpu)': Math.round(r.embedPerSecond),
      'fit ms': Math.round(r.fitMs),
    })),
  );
  if (opts.json) {
    await mkdir(dirname(opts.json), { recursive: true });
    await writeFile(opts.json, JSON.stringify({ dataset: ds.name, nHistory: ds.history.length, nTest: ds.test.length, k, reference: ref, results: rows }, null, 2));
  }
}

await main();
