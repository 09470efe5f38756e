/**
 * Scoring kernel benchmark: the plain TypeScript kernel against gpu.js (in the mode gpu.js picks on
 * this machine, plus its forced cpu mode) over batch sizes and model counts, and the TypeScript
 * kernel in Piscina worker pools of several sizes at the same batch sizes, side by side in one
 * run and one table.
 *
 *   npm run bench:scoring -- [--json OUT] [--sizes 64,256,1024,4096] [--models 11,32]
 *     [--backends ts,gpujs,gpujs:cpu] [--min-time-ms 300] [--pool-sizes 1,2,4] [--pool-rows 131072]
 *     [--pool-inputs moved|copied|both]
 *
 * Inputs are synthetic (seeded uniform values, 10% of cells masked, a bonus term): the kernel's
 * cost depends on the shape only, not on where the numbers come from.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { Piscina } from 'piscina';
import { GpujsScoringBackend, TsScoringBackend } from '@switchyard/scoring';
import type { GpujsMode, ScoreInput, ScoringBackend } from '@switchyard/scoring';
import { formatTable, measureSteady, timeOnce } from './stats.ts';
import type { SteadyStats } from './stats.ts';
import { createRng } from '@switchyard/random';

interface KernelRow {
  backend: string;
  mode: string;
  nModels: number;
  batchSize: number;
  op: 'score' | 'rank';
  /** Backend construction (for gpu.js: GPU instance and a probe kernel). */
  setupMs: number;
  /** First call on a fresh backend: kernel compilation (gpu.js) or cold JIT (TypeScript) plus one run. */
  firstCallMs: number;
  steady: SteadyStats;
  rowsPerSec: number;
  /** Same argmax (score) or ranking (rank) as the TypeScript backend on this batch. */
  agreesWithTs: boolean;
}

interface PoolRow {
  poolSize: number;
  /** Inputs moved to the worker (transferList) rather than copied by structured clone. */
  transfer: boolean;
  batchSize: number;
  nModels: number;
  batches: number;
  startupMs: number;
  elapsedMs: number;
  rowsPerSec: number;
  agreesWithTs: boolean;
}

const { values: args } = parseArgs({
  options: {
    json: { type: 'string' },
    sizes: { type: 'string', default: '64,256,1024,4096' },
    models: { type: 'string', default: '11,32' },
    backends: { type: 'string', default: 'ts,gpujs,gpujs:cpu' },
    'min-time-ms': { type: 'string', default: '300' },
    'pool-sizes': { type: 'string', default: '1,2,4' },
    /** Rows per pool run at each batch size (batches = rows / batch size, at least 8). */
    'pool-rows': { type: 'string', default: '131072' },
    'pool-inputs': { type: 'string', default: 'moved' },
    seed: { type: 'string', default: '1' },
  },
});

function intList(name: string, raw: string): number[] {
  const list = raw.split(',').filter((s) => s.trim() !== '').map(Number);
  for (const n of list) {
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${name}: '${raw}' is not a list of non-negative integers`);
  }
  return list;
}

const sizes = intList('sizes', args.sizes);
const modelCounts = intList('models', args.models);
const minTimeMs = intList('min-time-ms', args['min-time-ms'])[0] ?? 300;
const poolSizes = intList('pool-sizes', args['pool-sizes']).filter((n) => n > 0);
const poolRows = intList('pool-rows', args['pool-rows'])[0] ?? 131_072;
const poolInputs = args['pool-inputs'];
if (poolInputs !== 'moved' && poolInputs !== 'copied' && poolInputs !== 'both') throw new Error(`--pool-inputs: '${poolInputs}' is not moved, copied or both`);
const poolTransfers = poolInputs === 'both' ? [false, true] : [poolInputs === 'moved'];
const poolBatchesFor = (batchSize: number): number => Math.max(8, Math.ceil(poolRows / batchSize));
const seed = intList('seed', args.seed)[0] ?? 1;
const backendSpecs = args.backends.split(',').filter((s) => s !== '');
const steadyOptions = { warmup: 3, minTimeMs, minReps: 5, maxReps: 10_000 };

/** The one seeded generator (libs/random), so fixtures are reproducible without test data files. */
const rng = createRng;

function makeBatch(nQueries: number, nModels: number, batchSeed: number): ScoreInput {
  const next = rng(batchSeed);
  const cells = nQueries * nModels;
  return {
    nQueries,
    nModels,
    quality: Float32Array.from({ length: cells }, next),
    cost: Float32Array.from({ length: cells }, () => next() * 1e-3),
    prices: Float32Array.from({ length: nModels }, () => next() * 100),
    alpha: 1,
    bonus: Float32Array.from({ length: cells }, () => next() * 0.01),
    mask: Uint8Array.from({ length: cells }, () => (next() < 0.1 ? 0 : 1)),
  };
}

function createBackend(spec: string): ScoringBackend {
  if (spec === 'ts') return new TsScoringBackend();
  if (spec === 'gpujs') return new GpujsScoringBackend();
  const [kind, mode] = spec.split(':');
  if (kind === 'gpujs' && mode !== undefined) return new GpujsScoringBackend({ gpuMode: mode as GpujsMode });
  throw new Error(`unknown backend '${spec}' (ts, gpujs, gpujs:<mode>)`);
}

async function release(backend: ScoringBackend): Promise<void> {
  backend.dispose();
  if (backend instanceof GpujsScoringBackend) await backend.closed;
}

function sameInts(a: Int32Array, b: Int32Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

async function runKernels(): Promise<KernelRow[]> {
  const rows: KernelRow[] = [];
  const reference = new TsScoringBackend();
  for (const nModels of modelCounts) {
    for (const batchSize of sizes) {
      const input = makeBatch(batchSize, nModels, seed * 7919 + batchSize * 31 + nModels);
      const expectedBest = reference.scoreBatch(input).best;
      const expectedRank = reference.rankBatch(input);
      for (const spec of backendSpecs) {
        const setup = timeOnce(() => createBackend(spec));
        const backend = setup.value;
        try {
          const firstScore = timeOnce(() => backend.scoreBatch(input));
          const firstRank = timeOnce(() => backend.rankBatch(input));
          const steadyScore = measureSteady(() => backend.scoreBatch(input), steadyOptions);
          const steadyRank = measureSteady(() => backend.rankBatch(input), steadyOptions);
          const common = { backend: spec, mode: backend.mode, nModels, batchSize, setupMs: setup.ms };
          rows.push({
            ...common,
            op: 'score',
            firstCallMs: firstScore.ms,
            steady: steadyScore,
            rowsPerSec: batchSize / (steadyScore.medianMs / 1000),
            agreesWithTs: sameInts(firstScore.value.best, expectedBest),
          });
          rows.push({
            ...common,
            op: 'rank',
            firstCallMs: firstRank.ms,
            steady: steadyRank,
            rowsPerSec: batchSize / (steadyRank.medianMs / 1000),
            agreesWithTs: sameInts(firstRank.value, expectedRank),
          });
          process.stderr.write(`  ${spec} M=${nModels} Q=${batchSize}: score ${steadyScore.medianMs.toFixed(3)} ms, rank ${steadyRank.medianMs.toFixed(3)} ms\n`);
        } finally {
          await release(backend);
        }
      }
    }
  }
  return rows;
}

/**
 * Throughput of the TypeScript kernel in a worker pool: `batches` batches submitted with at most
 * two per thread in flight (bounded, as the router would), inputs either copied to the workers
 * by structured clone or moved (transferList, no copy). Pool start-up and the first task per
 * thread are timed apart, on their own batches.
 */
async function runPool(poolSize: number, nModels: number, transfer: boolean, poolBatchSize: number): Promise<PoolRow> {
  const poolBatches = poolBatchesFor(poolBatchSize);
  const inputs = Array.from({ length: poolBatches }, (_, i) => makeBatch(poolBatchSize, nModels, seed * 104_729 + i));
  const warmups = Array.from({ length: poolSize * 2 }, (_, i) => makeBatch(poolBatchSize, nModels, seed * 7 + i));
  const reference = new TsScoringBackend();
  const expected = inputs.map((input) => reference.scoreBatch(input).best);
  const startupStart = performance.now();
  const pool = new Piscina<ScoreInput, Int32Array>({
    filename: new URL('./worker.ts', import.meta.url).href,
    minThreads: poolSize,
    maxThreads: poolSize,
    maxQueue: poolSize * 2,
  });
  try {
    await Promise.all(warmups.map((input) => pool.run(input)));
    const startupMs = performance.now() - startupStart;
    const results: Int32Array[] = new Array<Int32Array>(inputs.length);
    const inFlight = new Set<Promise<void>>();
    const start = performance.now();
    for (let i = 0; i < inputs.length; i++) {
      const input = inputs[i]!;
      const buffers = [input.quality.buffer, input.cost.buffer, input.prices.buffer, input.bonus!.buffer, input.mask!.buffer] as ArrayBuffer[];
      const task: Promise<void> = pool.run(input, transfer ? { transferList: buffers } : {}).then((best) => {
        results[i] = best;
        inFlight.delete(task);
      });
      inFlight.add(task);
      if (inFlight.size >= poolSize * 2) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    const elapsedMs = performance.now() - start;
    return {
      poolSize,
      transfer,
      batchSize: poolBatchSize,
      nModels,
      batches: poolBatches,
      startupMs,
      elapsedMs,
      rowsPerSec: (poolBatches * poolBatchSize) / (elapsedMs / 1000),
      agreesWithTs: results.every((best, i) => sameInts(best, expected[i]!)),
    };
  } finally {
    await pool.destroy();
  }
}

function inlineBaseline(nModels: number, poolBatchSize: number): PoolRow {
  const poolBatches = poolBatchesFor(poolBatchSize);
  const inputs = Array.from({ length: poolBatches }, (_, i) => makeBatch(poolBatchSize, nModels, seed * 104_729 + i));
  const backend = new TsScoringBackend();
  // Warmed up on batches of its own, like the pools, so the timed batches are equally cold.
  for (let i = 0; i < 8; i++) backend.scoreBatch(makeBatch(poolBatchSize, nModels, seed * 7 + i));
  const start = performance.now();
  for (const input of inputs) backend.scoreBatch(input);
  const elapsedMs = performance.now() - start;
  return { poolSize: 0, transfer: false, batchSize: poolBatchSize, nModels, batches: poolBatches, startupMs: 0, elapsedMs, rowsPerSec: (poolBatches * poolBatchSize) / (elapsedMs / 1000), agreesWithTs: true };
}

function gpujsVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../node_modules/gpu.js/package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

const fmt = (n: number, digits: number): string => n.toFixed(digits);

interface SideBySide {
  /** 'batch', then one column per kernel backend and per pool configuration. */
  header: string[];
  rows: { batchSize: number; rowsPerSec: number[] }[];
}

/** One row per batch size at `nModels`: every kernel backend's and every pool's scoreBatch rows/s. */
function sideBySideTable(kernels: readonly KernelRow[], pool: readonly PoolRow[], nModels: number): SideBySide {
  const kernelCols = backendSpecs.map((spec) => {
    const mode = kernels.find((r) => r.backend === spec)?.mode;
    return { label: mode !== undefined && !spec.includes(':') && spec !== 'ts' ? `${spec} (${mode})` : spec, spec };
  });
  const poolCols: { label: string; poolSize: number; transfer: boolean }[] = [];
  for (const r of pool) {
    const label = r.poolSize === 0 ? 'ts inline' : `pool ${r.poolSize}${poolTransfers.length > 1 ? (r.transfer ? ' moved' : ' copied') : ''}`;
    if (!poolCols.some((c) => c.label === label)) poolCols.push({ label, poolSize: r.poolSize, transfer: r.transfer });
  }
  const rows = sizes.map((batchSize) => ({
    batchSize,
    rowsPerSec: [
      ...kernelCols.map((c) => kernels.find((k) => k.backend === c.spec && k.nModels === nModels && k.batchSize === batchSize && k.op === 'score')?.rowsPerSec ?? Number.NaN),
      ...poolCols.map((c) => pool.find((p) => p.poolSize === c.poolSize && p.transfer === c.transfer && p.nModels === nModels && p.batchSize === batchSize)?.rowsPerSec ?? Number.NaN),
    ],
  }));
  return { header: ['batch', ...kernelCols.map((c) => c.label), ...poolCols.map((c) => c.label)], rows };
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  // The machine may be shared: the load average says how much the figures can be trusted.
  const loadAtStart = loadavg()[0] ?? 0;
  process.stderr.write(`scoring bench: backends ${backendSpecs.join(', ')}; sizes ${sizes.join(', ')}; models ${modelCounts.join(', ')}\n`);
  const kernels = await runKernels();
  const pool: PoolRow[] = [];
  const poolModels = modelCounts[0] ?? 11;
  if (poolSizes.length > 0) {
    for (const batchSize of sizes) {
      pool.push(inlineBaseline(poolModels, batchSize));
      for (const size of poolSizes) {
        for (const transfer of poolTransfers) pool.push(await runPool(size, poolModels, transfer, batchSize));
      }
      process.stderr.write(`  pools M=${poolModels} Q=${batchSize} done\n`);
    }
  }

  const env = {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cpus: availableParallelism(),
    gpujsVersion: gpujsVersion(),
    loadAverage1m: { start: loadAtStart, end: loadavg()[0] ?? 0 },
  };
  console.log(`scoring kernels on ${env.cpuModel} (${env.cpus} CPUs, 1-min load ${fmt(env.loadAverage1m.start, 1)} -> ${fmt(env.loadAverage1m.end, 1)}), node ${env.node}, gpu.js ${env.gpujsVersion}`);
  console.log(`steady state = median of >= ${minTimeMs} ms of calls after 3 warm-ups; rows/s = batch / median`);
  console.log(
    formatTable(
      ['backend', 'mode', 'models', 'batch', 'op', 'setup ms', 'first call ms', 'ms/batch', 'p90 ms', 'rows/s', 'same as ts'],
      kernels.map((r) => [
        r.backend,
        r.mode,
        String(r.nModels),
        String(r.batchSize),
        r.op,
        fmt(r.setupMs, 2),
        fmt(r.firstCallMs, 2),
        fmt(r.steady.medianMs, 4),
        fmt(r.steady.p90Ms, 4),
        r.rowsPerSec.toExponential(3),
        r.agreesWithTs ? 'yes' : 'NO',
      ]),
    ),
  );
  if (pool.length > 0) {
    console.log(`\nTypeScript kernel in a Piscina pool (0 = inline on the main thread), ${poolRows} rows per run (at least 8 batches), scoreBatch`);
    console.log(
      formatTable(
        ['pool', 'inputs', 'models', 'batch', 'batches', 'startup ms', 'elapsed ms', 'rows/s', 'same as ts'],
        pool.map((r) => [String(r.poolSize), r.poolSize === 0 ? 'inline' : r.transfer ? 'moved' : 'copied', String(r.nModels), String(r.batchSize), String(r.batches), fmt(r.startupMs, 1), fmt(r.elapsedMs, 1), r.rowsPerSec.toExponential(3), r.agreesWithTs ? 'yes' : 'NO']),
      ),
    );
  }
  const sideBySide = sideBySideTable(kernels, pool, poolModels);
  if (sideBySide.rows.length > 0) {
    console.log(`\nSide by side, ${poolModels} models, scoreBatch rows/s: kernels single-threaded at steady state (batch / median call), pools as throughput over a run`);
    console.log(formatTable(sideBySide.header, sideBySide.rows.map((r) => [String(r.batchSize), ...r.rowsPerSec.map((v) => (Number.isFinite(v) ? v.toExponential(2) : '-'))])));
  }
  if (args.json !== undefined) {
    mkdirSync(dirname(args.json), { recursive: true });
    const report = {
      bench: 'scoring',
      startedAt,
      env,
      settings: { sizes, modelCounts, backends: backendSpecs, minTimeMs, seed, poolSizes, poolRows, poolInputs, poolModels, maskRate: 0.1 },
      kernels,
      pool,
      sideBySide,
    };
    writeFileSync(args.json, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nwrote ${args.json}`);
  }
  if (kernels.some((r) => !r.agreesWithTs) || pool.some((r) => !r.agreesWithTs)) {
    console.error('some backend disagreed with the TypeScript kernel');
    process.exitCode = 1;
  }
}

await main();
