/**
 * Routing decisions per second on one core, as the router's scoring worker makes them: a batch
 * of prompts is embedded (embedBatch), its k nearest reference rows found (searchBatch), per-model
 * estimates d^ and g^ averaged over them (routing-core `estimateFromNeighbours`), scored
 * alpha * d^ - price * g^ by the scoring kernel (`TsScoringBackend`) and the argmax taken.
 * Budget bookkeeping, Kafka and Postgres are not part of it (see bench/quality and the router).
 * Everything timed runs on this one JS thread; the usearch index searches with 1 native thread.
 *
 * Reference sets beyond the real history are built by perturbing its embeddings
 * (bench/ann/vectors.ts); their outcome rows repeat the base query's real outcomes. Model pools
 * larger than the dataset's are synthetic: extra models copy a real model's outcome columns with
 * noise (`syntheticOutcomes`).
 *
 * Several index configurations (`--variant`, repeatable) share one reference set and are timed
 * interleaved, batch by batch in rotating order, so a shared machine slows them alike and their
 * ratio stays meaningful.
 *
 *   npm run bench:speed -- [--data PATH] [--sizes 10000,100000,1000000] [--models 2,4,8,16,32]
 *       [--variant usearch:i8:m16:efc128:ef64 ...] [--json OUT]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { Command } from 'commander';
import { createIndex, defaultIndexOptions, recallAtK, type AnnIndex, type IndexKind } from '@switchyard/ann';
import { estimateFromNeighbours, kernelInput, ReferenceSet, type Pricing } from '@switchyard/routing-core';
import { TsScoringBackend } from '@switchyard/scoring';
import { loadBase, perturbedRows, rssMB, StreamingTruth } from '../ann/vectors.ts';
import { parseVariant, syntheticOutcomes, variantLabel, type Variant } from './variants.ts';

interface Stage {
  embedMs: number;
  searchMs: number;
  estimateMs: number;
  scoreMs: number;
}

interface SpeedResult {
  referenceSize: number;
  /** Models in the pool (the dataset's, or a synthetic pool from `--models`). */
  models: number;
  k: number;
  variant: string;
  index: IndexKind;
  dim: number;
  m: number;
  efConstruction: number;
  efSearch: number;
  quantization: string;
  /** usearch: candidates per neighbour re-ranked with exact f32 inner products (0 = off). */
  rescore: number;
  /** Threads doing the timed work: this JS thread; usearch searches with one native thread. */
  threads: 1;
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
  /** Recall queries routed to the same model as with exact neighbours: count and share. */
  decisionsSameAsExact: number;
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

const intList = (v: string): number[] => {
  const xs = v.split(',').map(Number);
  if (xs.some((x) => !Number.isInteger(x) || x < 1)) throw new Error(`not a list of positive integers: ${v}`);
  return xs;
};

async function main(): Promise<void> {
  const cli = new Command()
    .option('--data <path>', 'dataset path (default ../shared/data/routerbench-subset, else generated)')
    .option('--sizes <list>', 'reference set sizes', '10000,100000,1000000')
    .option('--models <list>', 'model pool sizes (default: the dataset\'s models; more are synthetic)')
    .option('--index <kind>', 'exact | hnsw | usearch (the single variant when no --variant)', 'usearch')
    .option('--variant <spec...>', 'index configurations timed side by side, e.g. usearch:i8:m16:efc128:ef64 hnsw:m8:ef16')
    .option('--k <k>', 'neighbours', '5')
    .option('--dim <d>', 'embedding dimension (default: the embedder default)')
    .option('--ef <n>', 'efSearch of the graph index (default: the library default of the kind)')
    .option('--ef-construction <n>', 'efConstruction of the graph index (default: the library default)')
    .option('--m <n>', 'graph degree (default: the library default)')
    .option('--quant <q>', 'usearch precision f32 | f16 | i8 (default: the library default)')
    .option('--rescore <n>', 'usearch candidates per neighbour re-ranked exactly, 0 = off (default: the library default)')
    .option('--build-threads <n>', 'native threads for the index build (usearch); decisions always use one', '2')
    .option('--batch <n>', 'prompts per batch (the router default scoreChunkRequests)', '512')
    .option('--decisions <n>', 'decisions timed per size, model pool and variant', '20000')
    .option('--recall-queries <n>', 'queries checked against exact search', '200')
    .option('--json <out>', 'write results as JSON')
    .parse();
  const o = cli.opts<Record<string, string> & { variant?: string[] }>();
  const sizes = intList(o.sizes!);
  const k = Number(o.k);
  const batch = Number(o.batch);
  const nDecisions = Number(o.decisions);
  // Per variant: the library's defaults for its kind (what the router and bench:quality get),
  // then the flags, then the variant's own tokens.
  const defaults = (kind: IndexKind): Variant => {
    const d = defaultIndexOptions(kind);
    return {
      kind,
      m: o.m === undefined ? d.m : Number(o.m),
      efConstruction: o.efConstruction === undefined ? d.efConstruction : Number(o.efConstruction),
      efSearch: o.ef === undefined ? d.efSearch : Number(o.ef),
      quantization: (o.quant ?? d.quantization) as Variant['quantization'],
      rescore: o.rescore === undefined ? d.rescore : Number(o.rescore),
    };
  };
  const variants = (o.variant ?? [o.index!]).map((spec) => parseVariant(spec, defaults));

  const base = await loadBase(o.data, o.dim === undefined ? {} : { dim: Number(o.dim) });
  const { dataset, embedder } = base;
  const dim = embedder.dim;
  const realM = dataset.models.length;
  const pools = o.models === undefined ? [realM] : intList(o.models);
  const nBase = dataset.history.length;
  const prompts = base.testPrompts;
  const meanPromptChars = prompts.reduce((a, p) => a + p.length, 0) / prompts.length;
  console.log(
    `${base.source}: ${nBase} base rows, ${prompts.length} test prompts (mean ${Math.round(meanPromptChars)} chars), ` +
      `${realM} models${o.models === undefined ? '' : ` (pools ${pools.join(', ')}; beyond ${realM} synthetic)`}, embedder ${embedder.name}, ` +
      `k=${k}, batch ${batch}, one thread; variants: ${variants.map(variantLabel).join(' | ')}`,
  );

  const real = { quality: new Float64Array(nBase * realM), cost: new Float64Array(nBase * realM), tokens: new Float64Array(nBase * realM) };
  dataset.history.forEach((q, i) => {
    real.quality.set(q.quality, i * realM);
    real.cost.set(q.cost, i * realM);
    real.tokens.set(q.tokens, i * realM);
  });
  const backend = new TsScoringBackend();
  const recallQueries = embedder.embedBatch(prompts.slice(0, Number(o.recallQueries)));
  const rq = recallQueries.length / dim;

  const results: SpeedResult[] = [];
  for (const n of sizes) {
    const indexes: AnnIndex[] = variants.map((v) =>
      createIndex(v.kind, {
        dim,
        capacity: n,
        m: v.m,
        efConstruction: v.efConstruction,
        efSearch: v.efSearch,
        quantization: v.quantization,
        rescore: v.rescore,
        addThreads: Number(o.buildThreads),
      }),
    );
    const truth = new StreamingTruth(recallQueries, dim, k);
    // Built in chunks so the 1M set never exists twice in memory.
    const chunk = 100_000;
    const buildCpu = variants.map(() => 0);
    const buildWall = variants.map(() => 0);
    for (let first = 0; first < n; first += chunk) {
      const rows = Math.min(chunk, n - first);
      const vecs = perturbedRows(base.history, dim, first, rows, 1);
      indexes.forEach((index, vi) => {
        const c0 = cpuNow();
        const w0 = performance.now();
        index.add(vecs);
        buildCpu[vi]! += cpuNow() - c0;
        buildWall[vi]! += performance.now() - w0;
      });
      truth.addChunk(vecs, first);
    }
    const exactIds = truth.ids;
    const annIds = indexes.map((index) => index.searchBatch(recallQueries, k).ids);

    for (const M of pools) {
      // Outcomes of reference row i are those of base row i mod nBase.
      const pool = syntheticOutcomes(real, realM, nBase, M);
      const modelIds = Array.from({ length: M }, (_, j) => (j < realM ? dataset.models[j]! : `${dataset.models[j % realM]!}~${Math.floor(j / realM)}`));
      const refQ = new Float64Array(n * M);
      const refC = new Float64Array(n * M);
      const refT = new Float64Array(n * M);
      for (let i = 0; i < n; i++) {
        const b = (i % nBase) * M;
        refQ.set(pool.quality.subarray(b, b + M), i * M);
        refC.set(pool.cost.subarray(b, b + M), i * M);
        refT.set(pool.tokens.subarray(b, b + M), i * M);
      }
      const ref = ReferenceSet.fromArrays(modelIds, { quality: refQ, cost: refC, tokens: refT });
      const meanCost = new Float64Array(M);
      for (let m = 0; m < M; m++) {
        let s = 0;
        for (let i = 0; i < nBase; i++) s += pool.cost[i * M + m]!;
        meanCost[m] = s / nBase;
      }
      // A fixed price vector (quality per mean dollar); the value does not change the work done.
      const pricing: Pricing = { version: 1, alpha: 1, prices: Float64Array.from(meanCost, (c) => 0.5 / c) };

      // What approximate neighbours change downstream: the quality estimates and the decision.
      const estExact = estimateFromNeighbours(ref, exactIds, { k });
      const bestExact = backend.scoreBatch(kernelInput(estExact, pricing)).best;
      const fidelity = annIds.map((ids) => {
        const estAnn = estimateFromNeighbours(ref, ids, { k });
        let dq = 0;
        for (let i = 0; i < estExact.quality.length; i++) dq += Math.abs(estExact.quality[i]! - estAnn.quality[i]!);
        const bestAnn = backend.scoreBatch(kernelInput(estAnn, pricing)).best;
        let same = 0;
        for (let i = 0; i < rq; i++) if (bestExact[i] === bestAnn[i]) same++;
        return { recall: recallAtK(exactIds, ids, k), mae: dq / estExact.quality.length, same };
      });

      // Warm-up batch per variant (JIT, subword cache) before timing, as a long-running worker would be.
      const warm = prompts.slice(0, batch);
      for (const index of indexes) estimateFromNeighbours(ref, index.searchBatch(embedder.embedBatch(warm), k).ids, { k });
      const stages: Stage[] = variants.map(() => ({ embedMs: 0, searchMs: 0, estimateMs: 0, scoreMs: 0 }));
      const cpu = variants.map(() => 0);
      const wall = variants.map(() => 0);
      const checksum = variants.map(() => 0);
      let done = 0;
      let round = 0;
      while (done < nDecisions) {
        const size = Math.min(batch, nDecisions - done);
        const texts: string[] = new Array<string>(size);
        for (let i = 0; i < size; i++) texts[i] = prompts[(done + i) % prompts.length]!;
        for (let j = 0; j < variants.length; j++) {
          const vi = (j + round) % variants.length;
          const stage = stages[vi]!;
          const w0 = performance.now();
          const c0 = cpuNow();
          let t = c0;
          const vecs = embedder.embedBatch(texts);
          let t2 = cpuNow();
          stage.embedMs += t2 - t;
          t = t2;
          const { ids } = indexes[vi]!.searchBatch(vecs, k);
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
          cpu[vi]! += t2 - c0;
          wall[vi]! += performance.now() - w0;
          for (let i = 0; i < best.length; i++) checksum[vi]! += best[i]!;
        }
        done += size;
        round++;
      }
      const us = (ms: number): number => (ms * 1000) / nDecisions;
      variants.forEach((v, vi) => {
        const stage = stages[vi]!;
        const f = fidelity[vi]!;
        const r: SpeedResult = {
          referenceSize: n,
          models: M,
          k,
          variant: variantLabel(v),
          index: v.kind,
          dim,
          m: v.m,
          efConstruction: v.efConstruction,
          efSearch: v.kind === 'exact' ? 0 : v.efSearch,
          quantization: v.kind === 'usearch' ? v.quantization : 'f32',
          rescore: v.kind === 'usearch' ? v.rescore : 0,
          threads: 1,
          batchSize: batch,
          decisions: nDecisions,
          decisionsPerSecond: nDecisions / (cpu[vi]! / 1000),
          decisionsPerSecondWall: nDecisions / (wall[vi]! / 1000),
          perDecisionUs: { embed: us(stage.embedMs), search: us(stage.searchMs), estimate: us(stage.estimateMs), score: us(stage.scoreMs) },
          recallAt5: f.recall,
          recallQueries: rq,
          qualityEstimateMaeVsExact: f.mae,
          decisionsSameAsExact: f.same,
          decisionAgreementVsExact: f.same / rq,
          buildCpuS: buildCpu[vi]! / 1000,
          buildWallS: buildWall[vi]! / 1000,
          // One process holds every variant's index: RSS is theirs together.
          rssMB: rssMB(),
          meanPromptChars,
          loadAverage1m: loadavg()[0]!,
        };
        results.push(r);
        console.log(
          `n=${n} models=${M} ${r.variant}: ${Math.round(r.decisionsPerSecond)} decisions/s per core (wall ${Math.round(r.decisionsPerSecondWall)}), ` +
            `recall@${k} ${r.recallAt5.toFixed(3)}, same decision as exact ${f.same}/${rq}, build ${r.buildCpuS.toFixed(1)} s cpu / ${r.buildWallS.toFixed(1)} s wall, ` +
            `RSS ${Math.round(r.rssMB)} MB, checksum ${checksum[vi]}`,
        );
      });
    }
  }
  console.table(
    results.map((r) => ({
      'ref size': r.referenceSize,
      models: r.models,
      variant: r.variant,
      'decisions/s (cpu)': Math.round(r.decisionsPerSecond),
      'decisions/s (wall)': Math.round(r.decisionsPerSecondWall),
      'embed us': r.perDecisionUs.embed.toFixed(1),
      'search us': r.perDecisionUs.search.toFixed(1),
      'estimate us': r.perDecisionUs.estimate.toFixed(1),
      'score us': r.perDecisionUs.score.toFixed(1),
      [`recall@${k}`]: r.recallAt5.toFixed(3),
      'same decision as exact': `${r.decisionsSameAsExact}/${r.recallQueries}`,
      'build s (cpu)': r.buildCpuS.toFixed(1),
      'RSS MB': Math.round(r.rssMB),
      load: r.loadAverage1m.toFixed(1),
    })),
  );
  if (o.json) {
    await mkdir(dirname(o.json), { recursive: true });
    await writeFile(
      o.json,
      JSON.stringify({ source: base.source, embedder: embedder.name, cpu: cpus()[0]?.model, cores: cpus().length, threads: 1, results }, null, 2),
    );
    console.log(`wrote ${o.json}`);
  }
}

await main();
