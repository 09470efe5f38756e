/**
 * Routing decisions per second on one core, as the router's scoring worker makes them: a batch
 * of prompts is embedded (embedBatch), its k nearest reference rows found (searchBatch), per-model
 * estimates d^ and g^ averaged over them (routing-core `estimateFromNeighbours`), scored
 * alpha * d^ - price * g^ by the scoring kernel (`TsScoringBackend`) and the argmax taken.
 * Budget bookkeeping, Kafka and Postgres are not part of it (see bench/quality and the router).
 *
 * Reference sets beyond the real history are built by perturbing its embeddings
 * (bench/ann/vectors.ts); their outcome rows repeat the base query's real outcomes.
 *
 *   npm run bench:speed -- [--data PATH] [--sizes 10000,100000,1000000] [--json OUT]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { Command } from 'commander';
import { createIndex, DEFAULT_GRAPH_OPTIONS, recallAtK, type AnnIndex, type IndexKind } from '@switchyard/ann';
import { estimateFromNeighbours, kernelInput, ReferenceSet, type Pricing } from '@switchyard/routing-core';
import { TsScoringBackend } from '@switchyard/scoring';
import { loadBase, perturbedRows, rssMB, StreamingTruth } from '../ann/vectors.ts';

interface Stage {
  embedMs: number;
  searchMs: number;
  estimateMs: number;
  scoreMs: number;
}

interface SpeedResult {
  referenceSize: number;
  models: number;
  k: number;
  index: IndexKind;
  dim: number;
  efSearch: number;
  quantization: string;
  batchSize: number;
  decisions: number;
  /** Decisions per CPU second of this process (one thread does the work): per-core throughput. */
  decisionsPerSecond: number;
  /** Decisions per wall-clock second, lower when the machine is shared. */
  decisionsPerSecondWall: number;
  /** CPU microseconds per decision, by stage. */
  perDecisionUs: { embed: number; search: number; estimate: number; score: number };
  recallAt5: number;
  recallQueries: number;
  /** Mean |d^(ANN neighbours) - d^(exact neighbours)| over the recall queries and models. */
  qualityEstimateMaeVsExact: number;
  /** Share of the recall queries routed to the same model as with exact neighbours. */
  decisionAgreementVsExact: number;
  buildCpuS: number;
  buildWallS: number;
  rssMB: number;
  meanPromptChars: number;
  /** 1-minute load average when the timing ended; above the core count, CPU time inflates too. */
  loadAverage1m: number;
}

const cpuNow = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

async function main(): Promise<void> {
  const cli = new Command()
    .option('--data <path>', 'dataset path (default ../shared/data/routerbench-subset, else generated)')
    .option('--sizes <list>', 'reference set sizes', '10000,100000,1000000')
    .option('--index <kind>', 'exact | hnsw | usearch', 'hnsw')
    .option('--k <k>', 'neighbours', '5')
    .option('--dim <d>', 'embedding dimension', '256')
    .option('--ef <n>', 'efSearch of the graph index', String(DEFAULT_GRAPH_OPTIONS.efSearch))
    .option('--ef-construction <n>', 'efConstruction of the graph index', String(DEFAULT_GRAPH_OPTIONS.efConstruction))
    .option('--m <n>', 'graph degree', String(DEFAULT_GRAPH_OPTIONS.m))
    .option('--quant <q>', 'usearch precision f32 | f16 | i8', 'f32')
    .option('--build-threads <n>', 'native threads for the index build (usearch); decisions always use one', '2')
    .option('--batch <n>', 'prompts per batch (the router default scoreChunkRequests)', '512')
    .option('--decisions <n>', 'decisions timed per size', '20000')
    .option('--recall-queries <n>', 'queries checked against exact search', '200')
    .option('--json <out>', 'write results as JSON')
    .parse();
  const o = cli.opts<Record<string, string>>();
  const sizes = o.sizes!.split(',').map(Number);
  const kind = o.index as IndexKind;
  const k = Number(o.k);
  const batch = Number(o.batch);
  const nDecisions = Number(o.decisions);

  const base = await loadBase(o.data, { dim: Number(o.dim) });
  const { dataset, embedder } = base;
  const dim = embedder.dim;
  const M = dataset.models.length;
  const nBase = dataset.history.length;
  const prompts = base.testPrompts;
  const meanPromptChars = prompts.reduce((a, p) => a + p.length, 0) / prompts.length;
  console.log(
    `${base.source}: ${nBase} base rows, ${prompts.length} test prompts (mean ${Math.round(meanPromptChars)} chars), ` +
      `${M} models, embedder ${embedder.name}, index ${kind}${kind === 'usearch' ? ` ${o.quant}` : ''}, k=${k}, batch ${batch}`,
  );

  const baseQ = new Float64Array(nBase * M);
  const baseC = new Float64Array(nBase * M);
  const baseT = new Float64Array(nBase * M);
  dataset.history.forEach((q, i) => {
    baseQ.set(q.quality, i * M);
    baseC.set(q.cost, i * M);
    baseT.set(q.tokens, i * M);
  });
  const meanCost = new Float64Array(M);
  for (let m = 0; m < M; m++) {
    let s = 0;
    for (let i = 0; i < nBase; i++) s += baseC[i * M + m]!;
    meanCost[m] = s / nBase;
  }
  // A fixed price vector (quality per mean dollar); the value does not change the work done.
  const pricing: Pricing = { version: 1, alpha: 1, prices: Float64Array.from(meanCost, (c) => 0.5 / c) };
  const backend = new TsScoringBackend();
  const recallQueries = embedder.embedBatch(prompts.slice(0, Number(o.recallQueries)));

  const results: SpeedResult[] = [];
  for (const n of sizes) {
    const rss0 = rssMB();
    const index: AnnIndex = createIndex(kind, {
      dim,
      capacity: n,
      m: Number(o.m),
      efConstruction: Number(o.efConstruction),
      efSearch: Number(o.ef),
      quantization: o.quant as 'f32' | 'f16' | 'i8',
      addThreads: Number(o.buildThreads),
    });
    const truth = new StreamingTruth(recallQueries, dim, k);
    const refQ = new Float64Array(n * M);
    const refC = new Float64Array(n * M);
    const refT = new Float64Array(n * M);
    // Built in chunks so the 1M set never exists twice in memory.
    const chunk = 100_000;
    let buildCpu = 0;
    let buildWall = 0;
    for (let first = 0; first < n; first += chunk) {
      const rows = Math.min(chunk, n - first);
      const vecs = perturbedRows(base.history, dim, first, rows, 1);
      const c0 = cpuNow();
      const w0 = performance.now();
      index.add(vecs);
      buildCpu += cpuNow() - c0;
      buildWall += performance.now() - w0;
      truth.addChunk(vecs, first);
      for (let i = first; i < first + rows; i++) {
        const b = (i % nBase) * M;
        refQ.set(baseQ.subarray(b, b + M), i * M);
        refC.set(baseC.subarray(b, b + M), i * M);
        refT.set(baseT.subarray(b, b + M), i * M);
      }
    }
    const ref = ReferenceSet.fromArrays(dataset.models, { quality: refQ, cost: refC, tokens: refT });
    const rq = recallQueries.length / dim;
    const exactIds = truth.ids;
    const annIds = index.searchBatch(recallQueries, k).ids;
    const recall = recallAtK(exactIds, annIds, k);
    // What approximate neighbours change downstream: the quality estimates and the decision.
    const estExact = estimateFromNeighbours(ref, exactIds, { k });
    const estAnn = estimateFromNeighbours(ref, annIds, { k });
    let dq = 0;
    for (let i = 0; i < estExact.quality.length; i++) dq += Math.abs(estExact.quality[i]! - estAnn.quality[i]!);
    const bestExact = backend.scoreBatch(kernelInput(estExact, pricing)).best;
    const bestAnn = backend.scoreBatch(kernelInput(estAnn, pricing)).best;
    let agree = 0;
    for (let i = 0; i < rq; i++) if (bestExact[i] === bestAnn[i]) agree++;

    // Warm-up batch (JIT, subword cache) before timing, as a long-running worker would be.
    const warm = prompts.slice(0, batch);
    index.searchBatch(embedder.embedBatch(warm), k);
    const stage: Stage = { embedMs: 0, searchMs: 0, estimateMs: 0, scoreMs: 0 };
    let done = 0;
    let checksum = 0;
    const wall0 = performance.now();
    const cpu0 = cpuNow();
    while (done < nDecisions) {
      const size = Math.min(batch, nDecisions - done);
      const texts: string[] = new Array<string>(size);
      for (let i = 0; i < size; i++) texts[i] = prompts[(done + i) % prompts.length]!;
      let t = cpuNow();
      const vecs = embedder.embedBatch(texts);
      let t2 = cpuNow();
      stage.embedMs += t2 - t;
      t = t2;
      const { ids } = index.searchBatch(vecs, k);
      t2 = cpuNow();
      stage.searchMs += t2 - t;
      t = t2;
      const est = estimateFromNeighbours(ref, ids, { k });
      t2 = cpuNow();
      stage.estimateMs += t2 - t;
      t = t2;
      const { best } = backend.scoreBatch(kernelInput(est, pricing));
      t2 = cpuNow();
      stage.scoreMs += t2 - t;
      for (let i = 0; i < best.length; i++) checksum += best[i]!;
      done += size;
    }
    const cpuS = (cpuNow() - cpu0) / 1000;
    const wallS = (performance.now() - wall0) / 1000;
    const us = (ms: number): number => (ms * 1000) / nDecisions;
    results.push({
      referenceSize: n,
      models: M,
      k,
      index: kind,
      dim,
      efSearch: kind === 'exact' ? 0 : Number(o.ef),
      quantization: kind === 'usearch' ? o.quant! : 'f32',
      batchSize: batch,
      decisions: nDecisions,
      decisionsPerSecond: nDecisions / cpuS,
      decisionsPerSecondWall: nDecisions / wallS,
      perDecisionUs: { embed: us(stage.embedMs), search: us(stage.searchMs), estimate: us(stage.estimateMs), score: us(stage.scoreMs) },
      recallAt5: recall,
      recallQueries: rq,
      qualityEstimateMaeVsExact: dq / estExact.quality.length,
      decisionAgreementVsExact: agree / rq,
      buildCpuS: buildCpu / 1000,
      buildWallS: buildWall / 1000,
      rssMB: rssMB(),
      meanPromptChars,
      loadAverage1m: loadavg()[0]!,
    });
    const r = results.at(-1)!;
    console.log(
      `n=${n}: ${Math.round(r.decisionsPerSecond)} decisions/s per core (wall ${Math.round(r.decisionsPerSecondWall)}), ` +
        `recall@${k} ${r.recallAt5.toFixed(3)}, build ${r.buildCpuS.toFixed(1)} s cpu / ${r.buildWallS.toFixed(1)} s wall, ` +
        `RSS ${Math.round(r.rssMB)} MB (+${Math.round(r.rssMB - rss0)}), checksum ${checksum}`,
    );
  }
  console.table(
    results.map((r) => ({
      'ref size': r.referenceSize,
      index: r.index === 'usearch' ? `usearch ${r.quantization}` : r.index,
      'decisions/s (cpu)': Math.round(r.decisionsPerSecond),
      'decisions/s (wall)': Math.round(r.decisionsPerSecondWall),
      'embed us': r.perDecisionUs.embed.toFixed(1),
      'search us': r.perDecisionUs.search.toFixed(1),
      'estimate us': r.perDecisionUs.estimate.toFixed(1),
      'score us': r.perDecisionUs.score.toFixed(1),
      [`recall@${k}`]: r.recallAt5.toFixed(3),
      'same decision as exact': r.decisionAgreementVsExact.toFixed(3),
      'build s (cpu)': r.buildCpuS.toFixed(1),
      'build s (wall)': r.buildWallS.toFixed(1),
      'RSS MB': Math.round(r.rssMB),
      load: r.loadAverage1m.toFixed(1),
    })),
  );
  if (o.json) {
    await mkdir(dirname(o.json), { recursive: true });
    await writeFile(
      o.json,
      JSON.stringify({ source: base.source, embedder: embedder.name, cpu: cpus()[0]?.model, cores: cpus().length, results }, null, 2),
    );
    console.log(`wrote ${o.json}`);
  }
}

await main();
