// The worker pool that embeds, searches and scores. A semaphore in front of Piscina bounds the
// tasks in flight (threads + maxQueue); waiting for it holds the caller's eachBatch, which holds
// the Kafka fetch for that partition: backpressure from the pool reaches the consumer.
import { Piscina } from 'piscina';
import { chooseFastestBackend } from '@switchyard/scoring';
import type { BackendMeasurement, ScoringBackendKind } from '@switchyard/scoring';
import type { FeedbackLogShared } from './feedback-log.ts';
import type { SharedReference } from './reference.ts';
import type { ScoreResult, ScoreTask, ScoringWorkerData } from './scoring-task.ts';
import { viewResult } from './scoring-task.ts';
import { Semaphore } from './semaphore.ts';

export interface ScoringPoolOptions {
  readonly reference: SharedReference;
  readonly ann: ScoringWorkerData['ann'];
  readonly backend: ScoringBackendKind;
  readonly threads: number;
  readonly maxQueue: number;
  readonly feedbackLog?: FeedbackLogShared | null;
  readonly widen?: number;
}

export interface ScoringPool {
  readonly backend: ScoringBackendKind;
  score(task: ScoreTask): Promise<ScoreResult>;
  /** Tasks waiting for a worker (in Piscina's queue or for a semaphore slot). */
  queueDepth(): number;
  destroy(): Promise<void>;
}

const workerFile = new URL('./scoring-worker.ts', import.meta.url);

// Workers need the TypeScript loader too: inherited when the process itself runs under
// `--import tsx`, otherwise (vitest, other hosts) passed explicitly.
function workerExecArgv(): string[] | undefined {
  const hasTsx = process.execArgv.some((a, i) => a.includes('tsx') && (i === 0 || process.execArgv[i - 1] === '--import' || a.startsWith('--import')));
  return hasTsx ? undefined : ['--import', 'tsx'];
}

export async function createScoringPool(opts: ScoringPoolOptions): Promise<ScoringPool> {
  const workerData: ScoringWorkerData = { reference: opts.reference, ann: opts.ann, backend: opts.backend, feedbackLog: opts.feedbackLog ?? null, widen: opts.widen ?? 4 };
  const execArgv = workerExecArgv();
  const pool = new Piscina({
    filename: workerFile.href,
    workerData,
    minThreads: opts.threads,
    maxThreads: opts.threads,
    maxQueue: opts.maxQueue,
    ...(execArgv !== undefined ? { execArgv } : {}),
  });
  const slots = new Semaphore(opts.threads + opts.maxQueue);
  const M = opts.reference.modelIds.length;

  const run = async (task: ScoreTask): Promise<ScoreResult> => {
    const release = await slots.acquire();
    try {
      const transferList = [task.embeddings.buffer, task.hasEmbedding.buffer, task.promptTokens.buffer, task.maxOutputTokens.buffer, task.prices.buffer] as ArrayBuffer[];
      const out = (await pool.run(task, { transferList })) as Float64Array;
      return viewResult(out, task.n, M, opts.reference.dim);
    } finally {
      release();
    }
  };
  // One warm-up task: workers build their index at start, and a broken worker (bad reference,
  // missing loader) must fail startup rather than the first Kafka batch.
  const dim = opts.reference.dim;
  await run({
    n: 1,
    prompts: ['warm up'],
    embeddings: new Float32Array(dim),
    hasEmbedding: new Uint8Array(1),
    promptTokens: Int32Array.of(-1),
    exactTokensAbove: -1,
    exactRequestAbove: -1,
    maxOutputTokens: Int32Array.of(1),
    alpha: 1,
    prices: new Float32Array(M),
  });
  return {
    backend: opts.backend,
    score: run,
    queueDepth: () => pool.queueSize + slots.waiting,
    destroy: () => pool.destroy(),
  };
}

/**
 * 'auto' measures both kernels on a batch shaped like the router's (chunk x models) on this
 * machine and keeps the faster one that agrees with the TypeScript kernel's argmax.
 */
export function resolveBackend(
  configured: 'ts' | 'gpujs' | 'auto',
  shape: { readonly nQueries: number; readonly nModels: number },
): { kind: ScoringBackendKind; measurements: BackendMeasurement[]; excluded: { name: string; code: string; message: string }[] } {
  if (configured !== 'auto') return { kind: configured, measurements: [], excluded: [] };
  const { nQueries, nModels } = shape;
  let seed = 12345;
  const rand = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const sample = {
    nQueries,
    nModels,
    quality: Float32Array.from({ length: nQueries * nModels }, rand),
    cost: Float32Array.from({ length: nQueries * nModels }, () => rand() * 1e-3),
    prices: Float32Array.from({ length: nModels }, () => rand() * 100),
    alpha: 1,
  };
  const chosen = chooseFastestBackend(sample, { repeats: 5 });
  const kind = chosen.backend.name;
  chosen.backend.dispose();
  return { kind, measurements: chosen.measurements, excluded: chosen.excluded };
}
