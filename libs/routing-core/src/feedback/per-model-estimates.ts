import { RoutingError } from '../errors.ts';
import type { EstimateBatch } from '../estimates.ts';
import type { ReferenceSet } from '../reference-set.ts';

/**
 * k-NN estimates when reference rows are partial. A row appended from an outcome holds only the
 * served model's cell; with a plain top-k, such rows crowd the complete rows out of a query's
 * neighbourhood and leave every other model estimated from fewer neighbours, or from the global
 * mean. Here the index is searched wider (`ids` holds `searched` neighbours per query, best
 * first) and each model averages the first `k` of them that have a value for it, so every model
 * keeps k neighbours of its own. On complete rows this is the plain uniform k-NN mean of PORT
 * (arXiv 2509.02718, Sec. 4). Support counts neighbours used for quality; 0 means the global mean.
 */
export function estimatePerModel(ref: ReferenceSet, ids: Int32Array, searched: number, k: number): EstimateBatch {
  if (!Number.isInteger(searched) || searched <= 0 || ids.length % searched !== 0) {
    throw new RoutingError('dimension_mismatch', `neighbour ids (${ids.length}) are not a multiple of ${searched}`);
  }
  if (!Number.isInteger(k) || k <= 0 || k > searched) throw new RoutingError('invalid_input', `k must be in 1..${searched}`);
  const nQueries = ids.length / searched;
  const M = ref.nModels;
  const size = ref.size;
  const views = { quality: ref.view('quality'), cost: ref.view('cost'), tokens: ref.view('tokens') };
  const fallback = { quality: ref.globalMeans('quality'), cost: ref.globalMeans('cost'), tokens: ref.globalMeans('tokens') };
  const out = { quality: new Float64Array(nQueries * M), cost: new Float64Array(nQueries * M), tokens: new Float64Array(nQueries * M) };
  const support = new Uint16Array(nQueries * M);
  for (const metric of ['quality', 'cost', 'tokens'] as const) {
    const src = views[metric];
    const dst = out[metric];
    for (let q = 0; q < nQueries; q++) {
      for (let m = 0; m < M; m++) {
        let s = 0;
        let c = 0;
        for (let n = 0; n < searched && c < k; n++) {
          const id = ids[q * searched + n]!;
          if (id < 0 || id >= size) continue;
          const v = src[id * M + m]!;
          if (Number.isNaN(v)) continue;
          s += v;
          c++;
        }
        dst[q * M + m] = c > 0 ? s / c : fallback[metric][m]!;
        if (metric === 'quality') support[q * M + m] = c;
      }
    }
  }
  return { nQueries, nModels: M, ...out, support };
}
