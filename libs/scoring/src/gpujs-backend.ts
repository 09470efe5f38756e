import { GPU } from 'gpu.js';
import type { IKernelRunShortcut, ITypesList } from 'gpu.js';
import { bucketRows } from './buckets.ts';
import { ScoringError } from './errors.ts';
import { BEST_KERNEL, POSITION_KERNEL, SCORE_KERNEL } from './gpujs-kernels.ts';
import type { ScoreInput, ScoreOutput, ScoringBackend } from './types.ts';
import { validateScoreInput } from './validate.ts';

/**
 * gpu.js modes that may be requested. 'gpu' lets gpu.js pick (headlessgl when the optional `gl`
 * package is present, otherwise webasm, then cpu); the others force one backend. The asynchronous
 * modes ('webgpu', 'async') are left out: this kernel's contract is synchronous.
 */
export type GpujsMode = 'gpu' | 'webasm' | 'cpu' | 'headlessgl' | 'webgl' | 'webgl2';

export interface GpujsBackendOptions {
  /** Which gpu.js mode to request; default 'gpu' (auto). */
  gpuMode?: GpujsMode;
  /** Most (bucket x nModels) kernel sets kept compiled; the least recently used is destroyed. Default 8. */
  maxCachedShapes?: number;
}

interface KernelHandle {
  kernel?: { constructor: { mode?: string } };
}

interface ShapeEntry {
  readonly rows: number;
  readonly nModels: number;
  readonly score: IKernelRunShortcut;
  readonly best: IKernelRunShortcut;
  readonly position: IKernelRunShortcut;
  readonly quality: Float32Array;
  readonly cost: Float32Array;
  readonly bonus: Float32Array;
  readonly mask: Float32Array;
  readonly zeros: Float32Array;
  readonly ones: Float32Array;
}

type ScoreArgs = [Float32Array, Float32Array, Float32Array, number, Float32Array, Float32Array, Float32Array];

const NEG_INF = new Float32Array([-Infinity]);
const SCORE_ARGUMENT_TYPES = ['Array', 'Array', 'Array', 'Float', 'Array', 'Array', 'Array'];
const SCORES_ONLY_ARGUMENT_TYPES = ['Array'];

function kernelMode(kernel: IKernelRunShortcut): string | undefined {
  return (kernel as unknown as KernelHandle).kernel?.constructor.mode;
}

function asScoringError(err: unknown, what: string): ScoringError {
  if (err instanceof ScoringError) return err;
  return new ScoringError('kernel_failed', `gpu.js ${what} kernel failed`, { cause: err });
}

function checkOutput(out: unknown, length: number, what: string): Float32Array {
  if (!(out instanceof Float32Array) || out.length !== length) {
    throw new ScoringError('kernel_failed', `gpu.js ${what} kernel returned ${String(out?.constructor?.name)} of unexpected shape, expected Float32Array(${length})`);
  }
  return out;
}

/**
 * Scoring kernels on gpu.js. Kernels are compiled once per (row bucket x nModels) and reused;
 * batches are padded to the bucket with staged copies so a kernel never sees a new size.
 */
export class GpujsScoringBackend implements ScoringBackend {
  readonly name = 'gpujs' as const;
  readonly #gpu: GPU;
  readonly #shapes = new Map<string, ShapeEntry>();
  readonly #maxCachedShapes: number;
  readonly #modes = new Set<string>();
  #disposed = false;
  #teardown: Promise<void> | undefined;

  constructor(options: GpujsBackendOptions = {}) {
    const gpuMode = options.gpuMode ?? 'gpu';
    this.#maxCachedShapes = options.maxCachedShapes ?? 8;
    if (!Number.isSafeInteger(this.#maxCachedShapes) || this.#maxCachedShapes < 1) {
      throw new ScoringError('bad_shape', `maxCachedShapes must be a positive integer, got ${options.maxCachedShapes}`);
    }
    try {
      this.#gpu = new GPU({ mode: gpuMode });
    } catch (err) {
      throw new ScoringError('backend_unavailable', `gpu.js mode '${gpuMode}' is not available here`, { cause: err });
    }
    try {
      this.#modes.add(this.#probeMode());
    } catch (err) {
      this.#disposed = true;
      this.#teardown = this.#gpu.destroy();
      this.#teardown.catch(() => undefined);
      throw err;
    }
  }

  /** The gpu.js backend(s) the kernels actually ran on; more than one only if gpu.js degraded a kernel. */
  get mode(): string {
    return [...this.#modes].join('+');
  }

  /** Resolves once gpu.js has released its contexts after dispose(); rejects if that failed. */
  get closed(): Promise<void> {
    return this.#teardown ?? Promise.resolve();
  }

  /** Number of compiled kernel sets held, for tests and diagnostics. */
  get cachedShapes(): number {
    return this.#shapes.size;
  }

  scoreBatch(input: ScoreInput): ScoreOutput {
    this.#assertOpen();
    validateScoreInput(input);
    const { nQueries, nModels } = input;
    if (nQueries === 0) return { scores: new Float32Array(0), best: new Int32Array(0) };
    const entry = this.#entryFor(nQueries, nModels);
    const scoresOut = this.#runScore(entry, input);
    let bestOut: Float32Array;
    try {
      bestOut = checkOutput(entry.best(scoresOut), entry.rows, 'best');
    } catch (err) {
      throw asScoringError(err, 'best');
    }
    this.#noteModes(entry.best);
    const cells = nQueries * nModels;
    const scores = scoresOut.length === cells ? scoresOut : scoresOut.slice(0, cells);
    const best = new Int32Array(nQueries);
    for (let q = 0; q < nQueries; q++) best[q] = bestOut[q]!;
    return { scores, best };
  }

  rankBatch(input: ScoreInput): Int32Array {
    this.#assertOpen();
    validateScoreInput(input);
    const { nQueries, nModels } = input;
    const ranking = new Int32Array(nQueries * nModels).fill(-1);
    if (nQueries === 0) return ranking;
    const entry = this.#entryFor(nQueries, nModels);
    const scoresOut = this.#runScore(entry, input);
    let positions: Float32Array;
    try {
      positions = checkOutput(entry.position(scoresOut), entry.rows * nModels, 'position');
    } catch (err) {
      throw asScoringError(err, 'position');
    }
    this.#noteModes(entry.position);
    for (let q = 0; q < nQueries; q++) {
      const row = q * nModels;
      for (let m = 0; m < nModels; m++) {
        const p = positions[row + m]!;
        if (p >= 0) ranking[row + p] = m;
      }
    }
    return ranking;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const entry of this.#shapes.values()) this.#destroyEntry(entry);
    this.#shapes.clear();
    // gpu.destroy() defers context release to a later turn and returns a promise; it is kept and
    // exposed as `closed` rather than dropped.
    this.#teardown = this.#gpu.destroy().catch((err: unknown) => {
      throw new ScoringError('kernel_failed', 'gpu.js teardown failed', { cause: err });
    });
    this.#teardown.catch(() => undefined);
  }

  #assertOpen(): void {
    if (this.#disposed) throw new ScoringError('disposed', 'gpujs scoring backend used after dispose()');
  }

  /** Runs a tiny kernel once to learn which gpu.js backend really executes, and that it works. */
  #probeMode(): string {
    let probe: IKernelRunShortcut | undefined;
    try {
      probe = this.#gpu.createKernel('function (a) { return a[this.thread.x] * 2; }', { output: [4] });
      const out = probe(new Float32Array([1, 2, 3, 4]));
      const ok = out instanceof Float32Array && out[0] === 2 && out[3] === 8;
      const mode = kernelMode(probe);
      if (!ok || mode === undefined) {
        throw new ScoringError('backend_unavailable', `gpu.js probe kernel returned a wrong result (mode ${mode})`);
      }
      return mode;
    } catch (err) {
      if (err instanceof ScoringError) throw err;
      throw new ScoringError('backend_unavailable', 'gpu.js probe kernel failed', { cause: err });
    } finally {
      probe?.destroy();
    }
  }

  #entryFor(nQueries: number, nModels: number): ShapeEntry {
    const rows = bucketRows(nQueries);
    const key = `${rows}x${nModels}`;
    const cached = this.#shapes.get(key);
    if (cached !== undefined) {
      // Map iteration order is insertion order: re-inserting marks the entry most recently used.
      this.#shapes.delete(key);
      this.#shapes.set(key, cached);
      return cached;
    }
    const cells = rows * nModels;
    const settings = {
      output: [cells] as [number],
      constants: { nModels },
      loopMaxIterations: nModels,
      // GL backends otherwise pack outputs into 8-bit channels ('unsigned'), which is lossy.
      precision: 'single' as const,
      tactic: 'precision' as const,
      // Declared so that an integral alpha on the first call does not compile alpha as an integer.
      // gpu.js takes a positional list for string kernels, though its typings only name the object form.
      argumentTypes: SCORE_ARGUMENT_TYPES as unknown as ITypesList,
    };
    const scoresOnlySettings = { ...settings, argumentTypes: SCORES_ONLY_ARGUMENT_TYPES as unknown as ITypesList };
    const entry: ShapeEntry = {
      rows,
      nModels,
      score: this.#gpu.createKernel(SCORE_KERNEL, settings),
      best: this.#gpu.createKernel(BEST_KERNEL, { ...scoresOnlySettings, output: [rows] }),
      position: this.#gpu.createKernel(POSITION_KERNEL, scoresOnlySettings),
      quality: new Float32Array(cells),
      cost: new Float32Array(cells),
      bonus: new Float32Array(cells),
      mask: new Float32Array(cells),
      zeros: new Float32Array(cells),
      ones: new Float32Array(cells).fill(1),
    };
    this.#shapes.set(key, entry);
    while (this.#shapes.size > this.#maxCachedShapes) {
      const oldestKey = this.#shapes.keys().next().value as string;
      const oldest = this.#shapes.get(oldestKey)!;
      this.#shapes.delete(oldestKey);
      this.#destroyEntry(oldest);
    }
    return entry;
  }

  /** Runs the score kernel on one batch: -Infinity where masked, padded to the bucket's rows. */
  #runScore(entry: ShapeEntry, input: ScoreInput): Float32Array {
    const args = this.#stage(entry, input);
    try {
      const out = checkOutput(entry.score(...args), entry.rows * input.nModels, 'score');
      this.#noteModes(entry.score);
      return out;
    } catch (err) {
      throw asScoringError(err, 'score');
    }
  }

  /**
   * Kernel arguments for one batch. A batch that fills its bucket is passed as is; a smaller one
   * is copied into the bucket's staging arrays. Rows past nQueries hold stale data from earlier
   * batches: every row is computed independently and those rows are cut off, so it is harmless.
   * The mask is always staged as float32: converting it here with a native typed-array copy costs
   * less than gpu.js converting a Uint8Array argument element by element (measured on webasm).
   */
  #stage(entry: ShapeEntry, input: ScoreInput): ScoreArgs {
    const exact = input.nQueries === entry.rows;
    const stage = (source: Float32Array, target: Float32Array): Float32Array => {
      if (exact) return source;
      target.set(source);
      return target;
    };
    let mask = entry.ones;
    if (input.mask !== undefined) {
      entry.mask.set(input.mask);
      mask = entry.mask;
    }
    const bonus = input.bonus !== undefined ? stage(input.bonus, entry.bonus) : entry.zeros;
    return [stage(input.quality, entry.quality), stage(input.cost, entry.cost), input.prices, input.alpha, bonus, mask, NEG_INF];
  }

  /** gpu.js may swap a kernel to another backend on its first run (e.g. webasm to cpu). */
  #noteModes(...kernels: IKernelRunShortcut[]): void {
    for (const kernel of kernels) {
      const mode = kernelMode(kernel);
      if (mode !== undefined) this.#modes.add(mode);
    }
  }

  #destroyEntry(entry: ShapeEntry): void {
    entry.score.destroy();
    entry.best.destroy();
    entry.position.destroy();
  }
}
