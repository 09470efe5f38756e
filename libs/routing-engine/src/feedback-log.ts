// The rows the feedback loop appends to the reference set, in shared memory: the main thread
// writes each row (embedding + the served model's quality / cost / output tokens, NaN
// elsewhere) and then publishes the new count; every scoring worker, before each task, appends
// the rows it has not seen yet to its own reference set and ANN index. So the rows reach every
// worker (a message through Piscina reaches only one), in the same order and under the same
// ids everywhere, and a worker never reads a row before it is complete (Atomics store/load of
// the count orders the writes). Idempotence by request id is the writer's: a request is
// appended once (see FeedbackLoop).
//
// Buffers are growable SharedArrayBuffers reserved for `capacity` rows and grown as rows come,
// so memory follows the rows actually appended.

export interface FeedbackLogShared {
  readonly dim: number;
  readonly nModels: number;
  readonly capacity: number;
  /** [0]: rows published. */
  readonly control: SharedArrayBuffer;
  /** rows x dim float32. */
  readonly vectors: SharedArrayBuffer;
  /** rows x 3 x nModels float64: quality, cost, output tokens. */
  readonly cells: SharedArrayBuffer;
}

const GROW_ROWS = 1_024;

export function createFeedbackLog(dim: number, nModels: number, capacity: number): FeedbackLogShared {
  const cap = Math.max(1, Math.floor(capacity));
  const first = Math.min(cap, GROW_ROWS);
  type GrowableCtor = new (length: number, options: { maxByteLength: number }) => SharedArrayBuffer;
  const Growable = SharedArrayBuffer as unknown as GrowableCtor;
  return {
    dim,
    nModels,
    capacity: cap,
    control: new SharedArrayBuffer(8),
    vectors: new Growable(first * dim * 4, { maxByteLength: cap * dim * 4 }),
    cells: new Growable(first * 3 * nModels * 8, { maxByteLength: cap * 3 * nModels * 8 }),
  };
}

export function publishedRows(log: FeedbackLogShared): number {
  return Atomics.load(new Int32Array(log.control), 0);
}

/** Main thread only (one writer). Returns the row's position, or null when the log is full. */
export function appendFeedbackRow(
  log: FeedbackLogShared,
  embedding: ArrayLike<number>,
  row: { readonly quality: ArrayLike<number>; readonly cost: ArrayLike<number>; readonly tokens: ArrayLike<number> },
): number | null {
  const n = publishedRows(log);
  if (n >= log.capacity) return null;
  const M = log.nModels;
  const grow = (sab: SharedArrayBuffer, bytesPerRow: number): void => {
    const need = (n + 1) * bytesPerRow;
    if (sab.byteLength < need) {
      const target = Math.min(log.capacity * bytesPerRow, Math.max(need, sab.byteLength * 2));
      (sab as unknown as { grow(n: number): void }).grow(target);
    }
  };
  grow(log.vectors, log.dim * 4);
  grow(log.cells, 3 * M * 8);
  new Float32Array(log.vectors, n * log.dim * 4, log.dim).set(embedding);
  const cells = new Float64Array(log.cells, n * 3 * M * 8, 3 * M);
  cells.set(row.quality, 0);
  cells.set(row.cost, M);
  cells.set(row.tokens, 2 * M);
  Atomics.store(new Int32Array(log.control), 0, n + 1);
  return n;
}

/** Rows [from, to) as row-major arrays, for a reader that has seen `from` rows. */
export function readFeedbackRows(
  log: FeedbackLogShared,
  from: number,
  to: number,
): { vectors: Float32Array; quality: Float64Array; cost: Float64Array; tokens: Float64Array } {
  const M = log.nModels;
  const n = Math.max(0, to - from);
  const vectors = new Float32Array(n * log.dim);
  vectors.set(new Float32Array(log.vectors, from * log.dim * 4, n * log.dim));
  const all = new Float64Array(log.cells, from * 3 * M * 8, n * 3 * M);
  const quality = new Float64Array(n * M);
  const cost = new Float64Array(n * M);
  const tokens = new Float64Array(n * M);
  for (let r = 0; r < n; r++) {
    quality.set(all.subarray(r * 3 * M, r * 3 * M + M), r * M);
    cost.set(all.subarray(r * 3 * M + M, r * 3 * M + 2 * M), r * M);
    tokens.set(all.subarray(r * 3 * M + 2 * M, r * 3 * M + 3 * M), r * M);
  }
  return { vectors, quality, cost, tokens };
}
