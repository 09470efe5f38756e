import { RoutingError } from './errors.ts';
import type { Metric, ReferenceSet } from './reference-set.ts';

/**
 * Per-query, per-model feature estimates (row-major, query x model): d^ (quality), g^ (cost),
 * t^ (tokens), and the support (how many neighbours had a value for that model; 0 means the
 * cell is the model's global mean in the reference set). PORT (arXiv 2509.02718, Sec. 4)
 * estimates d^ and g^ as plain means over the k nearest past queries.
 */
export interface EstimateBatch {
  readonly nQueries: number;
  readonly nModels: number;
  readonly quality: Float64Array;
  readonly cost: Float64Array;
  readonly tokens: Float64Array;
  readonly support: Uint16Array;
  /** Optional exploration bonus per cell, in score units, added to the score (see feedback/). */
  readonly bonus?: Float64Array;
}

/** One query's estimates: views into a batch row, or plain arrays of length nModels. */
export interface QueryEstimate {
  readonly quality: ArrayLike<number>;
  readonly cost: ArrayLike<number>;
  readonly tokens?: ArrayLike<number>;
  /** Exploration bonus per model, in score units (never consulted by budget checks). */
  readonly bonus?: ArrayLike<number>;
}

export type NeighbourWeighting = 'uniform' | 'similarity';

export interface EstimateOptions {
  /** k columns per query in `ids` (-1 pads a short row). */
  readonly k: number;
  /** Similarity per neighbour (same shape as ids, cosine for normalised vectors); needed for 'similarity'. */
  readonly scores?: Float32Array;
  /** 'uniform' is PORT's plain mean; 'similarity' weights each neighbour by max(sim, 0) + 1e-6. */
  readonly weighting?: NeighbourWeighting;
}

const METRICS: readonly Metric[] = ['quality', 'cost', 'tokens'];

/**
 * Batch estimates from a neighbour id matrix (`nQueries * k`, row-major, -1 = no neighbour).
 * A cell is averaged over the neighbours that have a value for that model (missing outcomes are
 * skipped, not counted as 0: a model never run on a query says nothing about it); when no
 * neighbour has one, the cell falls back to the model's global mean over the whole reference
 * set, and its support is 0. Ids outside the set are treated as absent.
 */
export function estimateFromNeighbours(ref: ReferenceSet, ids: Int32Array, options: EstimateOptions): EstimateBatch {
  const { k } = options;
  const weighting = options.weighting ?? 'uniform';
  if (!Number.isInteger(k) || k <= 0 || ids.length % k !== 0) {
    throw new RoutingError('dimension_mismatch', `neighbour ids (${ids.length}) are not a multiple of k=${k}`);
  }
  if (weighting === 'similarity' && (!options.scores || options.scores.length !== ids.length)) {
    throw new RoutingError('invalid_input', 'similarity weighting needs one score per neighbour id');
  }
  const nQueries = ids.length / k;
  const M = ref.nModels;
  const out = {
    quality: new Float64Array(nQueries * M),
    cost: new Float64Array(nQueries * M),
    tokens: new Float64Array(nQueries * M),
  };
  const support = new Uint16Array(nQueries * M);
  const views = { quality: ref.view('quality'), cost: ref.view('cost'), tokens: ref.view('tokens') };
  const fallback = { quality: ref.globalMeans('quality'), cost: ref.globalMeans('cost'), tokens: ref.globalMeans('tokens') };
  const size = ref.size;
  const weights = new Float64Array(k);

  for (let q = 0; q < nQueries; q++) {
    for (let n = 0; n < k; n++) {
      const id = ids[q * k + n]!;
      if (id < 0 || id >= size) weights[n] = 0;
      else if (weighting === 'similarity') weights[n] = Math.max(options.scores![q * k + n]!, 0) + 1e-6;
      else weights[n] = 1;
    }
    for (const metric of METRICS) {
      const src = views[metric];
      const dst = out[metric];
      for (let m = 0; m < M; m++) {
        let s = 0;
        let w = 0;
        let c = 0;
        for (let n = 0; n < k; n++) {
          const wn = weights[n]!;
          if (wn === 0) continue;
          const v = src[ids[q * k + n]! * M + m]!;
          if (Number.isNaN(v)) continue;
          s += wn * v;
          w += wn;
          c++;
        }
        dst[q * M + m] = c > 0 ? s / w : fallback[metric][m]!;
        if (metric === 'quality') support[q * M + m] = c;
      }
    }
  }
  return { nQueries, nModels: M, ...out, support };
}

/** Zero-copy view of one query of a batch. */
export function estimateRow(batch: EstimateBatch, q: number): QueryEstimate {
  const M = batch.nModels;
  return {
    quality: batch.quality.subarray(q * M, (q + 1) * M),
    cost: batch.cost.subarray(q * M, (q + 1) * M),
    tokens: batch.tokens.subarray(q * M, (q + 1) * M),
    ...(batch.bonus ? { bonus: batch.bonus.subarray(q * M, (q + 1) * M) } : {}),
  };
}

/** Wraps per-query arrays (row-major, nQueries * nModels) as a batch; support unknown (0). */
export function estimateBatchOf(nModels: number, quality: Float64Array, cost: Float64Array, tokens?: Float64Array): EstimateBatch {
  if (quality.length !== cost.length || quality.length % nModels !== 0 || (tokens && tokens.length !== quality.length)) {
    throw new RoutingError('dimension_mismatch', 'estimate arrays must all hold nQueries * nModels cells');
  }
  return {
    nQueries: quality.length / nModels,
    nModels,
    quality,
    cost,
    tokens: tokens ?? new Float64Array(quality.length).fill(Number.NaN),
    support: new Uint16Array(quality.length),
  };
}
