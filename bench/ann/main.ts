/**
 * hnswlib-node vs usearch vs exact search on the project's own embeddings: recall@5 against
 * exact search, build time, queries per second on one core, memory, incremental add and
 * save/load, side by side in one run.
 *
 *   node --import tsx bench/ann/main.ts [--data PATH] [--sizes 10000,100000] [--json OUT]
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Command } from 'commander';
import { createIndex, ExactIndex, loadIndex, recallAtK, type AnnIndex, type IndexKind } from '@switchyard/ann';
import { cpuMs, loadBase, perturbedReferenceSet, perturbedRows, rssMB } from './vectors.ts';

interface Result {
  kind: IndexKind;
  quantization: string;
  referenceSize: number;
  dim: number;
  m: number;
  efConstruction: number;
  efSearch: number;
  buildCpuS: number;
  buildWallS: number;
  addedRowsPerSecond: number;
  recallAt5: number;
  /**
   * Mean over queries of (sum of the returned top-5 similarities) / (sum of the exact ones): 1 when
   * the neighbours found are as close as the true ones, even if they are other, equally close rows.
   */
  similarityRatio: number;
  queriesPerSecondCpu: number;
  rssDeltaMB: number;
  incrementalAddRecallAt5: number;
  saveMs: number;
  loadMs: number;
  fileMB: number;
  loadedRecallAt5: number;
  loadAverage1m: number;
}

const K = 5;

function similarityRatio(exact: Float32Array, approx: Float32Array): number {
  let sum = 0;
  let n = 0;
  for (let q = 0; q < exact.length / K; q++) {
    let e = 0;
    let a = 0;
    for (let j = 0; j < K; j++) {
      const ev = exact[q * K + j]!;
      const av = approx[q * K + j]!;
      if (Number.isFinite(ev)) e += ev;
      if (Number.isFinite(av)) a += av;
    }
    if (e > 0) {
      sum += a / e;
      n++;
    }
  }
  return n === 0 ? 1 : sum / n;
}

interface Options {
  data?: string; sizes: string; kinds: string; ef: string; m: string; efConstruction: string; quant: string; rescore: string; dim: string; queries: string; json?: string;
}

function parseOptions(): Options {
  return new Command()
    .option('--data <path>', 'dataset path')
    .option('--sizes <list>', 'reference set sizes', '10000,100000')
    .option('--kinds <list>', 'index kinds', 'exact,hnsw,usearch')
    .option('--ef <list>', 'efSearch values for the graph indexes', '32,64,128')
    .option('--m <m>', 'graph degree', '16')
    .option('--ef-construction <n>', 'build beam width', '128')
    .option('--quant <list>', 'usearch storage precisions (f32,f16,i8)', 'f32')
    .option('--rescore <n>', 'usearch: candidates per neighbour re-ranked exactly (0 = off, the graph alone)', '0')
    .option('--dim <d>', 'embedding dimension', '256')
    .option('--queries <n>', 'test prompts used as queries', '500')
    .option('--json <out>', 'write results as JSON')
    .parse()
    .opts<Options>();
}

/** One reference-set size: its rows, the rows appended later, and exact search's answers before and after. */
interface SizeCase {
  n: number;
  dim: number;
  queries: Float32Array;
  data: Float32Array;
  extra: Float32Array;
  truth: Int32Array;
  truthScores: Float32Array;
  truthAfterAdd: Int32Array;
}

function sizeCase(history: Float32Array, dim: number, n: number, queries: Float32Array): SizeCase {
  const data = perturbedReferenceSet(history, dim, n, 1);
  // Rows appended after the build, to check that incremental inserts are searchable.
  const extra = perturbedRows(history, dim, n, Math.max(1000, Math.round(n * 0.05)), 1);
  const truthIndex = new ExactIndex(dim, n + extra.length / dim);
  truthIndex.add(data);
  const truthResult = truthIndex.searchBatch(queries, K);
  truthIndex.add(extra);
  return { n, dim, queries, data, extra, truth: truthResult.ids, truthScores: truthResult.scores, truthAfterAdd: truthIndex.searchBatch(queries, K).ids };
}

interface Variant {
  kind: IndexKind;
  efSearch: number;
  quantization: 'f32' | 'f16' | 'i8';
}

/** Build, search, incremental add, save and load of one index variant on one size. */
async function measure(c: SizeCase, v: Variant, o: Options, dir: string): Promise<Result> {
  const { n, dim, queries } = c;
  const nq = queries.length / dim;
  const m = Number(o.m);
  const efC = Number(o.efConstruction);
  const rss0 = rssMB();
  let index: AnnIndex = createIndex(v.kind, { dim, capacity: n, m, efConstruction: efC, efSearch: Math.max(1, v.efSearch), quantization: v.quantization, rescore: Number(o.rescore) });
  const build = cpuMs(() => index.add(c.data));
  const rssDelta = rssMB() - rss0;
  // Repeat until ~2000 queries or 3 CPU seconds, whichever comes first (exact search at
  // 100k rows would otherwise dominate the whole run).
  let reps = 0;
  const search = cpuMs(() => {
    const c0 = process.cpuUsage();
    let r = index.searchBatch(queries, K);
    reps = 1;
    for (;;) {
      const used = process.cpuUsage(c0);
      if (reps * nq >= 2000 || (used.user + used.system) / 1000 > 3000) break;
      r = index.searchBatch(queries, K);
      reps++;
    }
    return r;
  });
  const add = cpuMs(() => index.add(c.extra));
  const incRecall = recallAtK(c.truthAfterAdd, index.searchBatch(queries, K).ids, K);
  const path = join(dir, `${v.kind}-${v.quantization}-${n}-${v.efSearch}.idx`);
  const t0 = performance.now();
  await index.save(path);
  const saveMs = performance.now() - t0;
  const fileMB = (await stat(path)).size / (1024 * 1024);
  index = undefined as unknown as AnnIndex;
  const t1 = performance.now();
  const loaded = await loadIndex(v.kind, path);
  const loadMs = performance.now() - t1;
  const loadedRecall = recallAtK(c.truthAfterAdd, loaded.searchBatch(queries, K).ids, K);
  await rm(path, { force: true });
  await rm(`${path}.meta.json`, { force: true });
  return {
    kind: v.kind,
    quantization: v.quantization,
    referenceSize: n,
    dim,
    m: v.kind === 'exact' ? 0 : m,
    efConstruction: v.kind === 'exact' ? 0 : efC,
    efSearch: v.efSearch,
    buildCpuS: build.cpuMs / 1000,
    buildWallS: build.wallMs / 1000,
    addedRowsPerSecond: c.extra.length / dim / (add.cpuMs / 1000),
    recallAt5: recallAtK(c.truth, search.value.ids, K),
    similarityRatio: similarityRatio(c.truthScores, search.value.scores),
    queriesPerSecondCpu: (reps * nq) / (search.cpuMs / 1000),
    rssDeltaMB: rssDelta,
    incrementalAddRecallAt5: incRecall,
    saveMs,
    loadMs,
    fileMB,
    loadedRecallAt5: loadedRecall,
    loadAverage1m: loadavg()[0]!,
  };
}

function printTable(results: readonly Result[]): void {
  console.table(
    results.map((r) => ({
      kind: r.kind === 'usearch' ? `usearch ${r.quantization}` : r.kind,
      n: r.referenceSize,
      ef: r.efSearch || '-',
      'recall@5': r.recallAt5.toFixed(4),
      'sim ratio': r.similarityRatio.toFixed(4),
      'q/s (1 core)': Math.round(r.queriesPerSecondCpu),
      'build s (cpu)': r.buildCpuS.toFixed(1),
      'add rows/s': Math.round(r.addedRowsPerSecond),
      'recall after add': r.incrementalAddRecallAt5.toFixed(4),
      'RSS +MB': Math.round(r.rssDeltaMB),
      'file MB': r.fileMB.toFixed(1),
      'save ms': Math.round(r.saveMs),
      'load ms': Math.round(r.loadMs),
      'recall loaded': r.loadedRecallAt5.toFixed(4),
    })),
  );
}

async function main(): Promise<void> {
  const o = parseOptions();
  const quants = o.quant.split(',') as Variant['quantization'][];
  const kinds = o.kinds.split(',') as IndexKind[];
  const efs = o.ef.split(',').map(Number);
  const variants: Variant[] = kinds.flatMap((kind) =>
    (kind === 'exact' ? [0] : efs).flatMap((efSearch) => (kind === 'usearch' ? quants : (['f32'] as const)).map((quantization) => ({ kind, efSearch, quantization }))),
  );
  const base = await loadBase(o.data, { dim: Number(o.dim) });
  const dim = base.embedder.dim;
  const queries = base.embedder.embedBatch(base.testPrompts.slice(0, Number(o.queries)));
  const nq = queries.length / dim;
  console.log(`${base.source}: ${base.history.length / dim} base vectors, ${nq} queries, dim ${dim}, embedder ${base.embedder.name}`);
  const dir = await mkdtemp(join(tmpdir(), 'bench-ann-'));
  const results: Result[] = [];
  try {
    for (const n of o.sizes.split(',').map(Number)) {
      const c = sizeCase(base.history, dim, n, queries);
      for (const v of variants) {
        const r = await measure(c, v, o, dir);
        results.push(r);
        console.log(
          `${v.kind.padEnd(7)} ${v.quantization} n=${n} ef=${v.efSearch}: recall@5 ${r.recallAt5.toFixed(4)} sim ratio ${r.similarityRatio.toFixed(4)} q/s ${Math.round(r.queriesPerSecondCpu)} build ${r.buildCpuS.toFixed(1)} s cpu`,
        );
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  printTable(results);
  if (o.json) {
    await mkdir(dirname(o.json), { recursive: true });
    await writeFile(o.json, JSON.stringify({ source: base.source, embedder: base.embedder.name, k: K, queries: nq, cpu: cpus()[0]?.model, cores: cpus().length, results }, null, 2));
  }
}

await main();
