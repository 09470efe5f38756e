/**
 * A routing decision is a value: the query goes to a model (possibly a fallback, i.e. not the
 * top-scoring one) or it is dropped, with the reason. `reservedCost` is the estimated cost the
 * policy charged against its own budget view; it is released when the outcome (or loss) of the
 * query is recorded.
 */
export type DropReason = 'no_budget' | 'policy' | 'exploration';

export type Decision =
  | {
      readonly kind: 'route';
      readonly model: number;
      /** 0 = the top-scoring model; r = the (r+1)-th best, taken because better ones lacked budget. */
      readonly fallbackRank: number;
      readonly scores: Float64Array;
      readonly reservedCost: number;
    }
  | { readonly kind: 'drop'; readonly reason: DropReason };

/** Models ordered by descending score (ties: lower index first); NaN scores last. */
export function rankModels(scores: ArrayLike<number>): Int32Array {
  // Insertion sort: model pools are small, and this runs once per request on the router's
  // main thread (no closures, no boxed array).
  const n = scores.length;
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const key = rankKey(scores[i]!);
    let j = i - 1;
    // Strictly better moves ahead; an equal key keeps the lower index first.
    while (j >= 0 && rankKey(scores[idx[j]!]!) < key) {
      idx[j + 1] = idx[j]!;
      j -= 1;
    }
    idx[j + 1] = i;
  }
  return idx;
}

function rankKey(s: number): number {
  return Number.isNaN(s) ? Number.NEGATIVE_INFINITY : s;
}

export type Selection = { readonly model: number; readonly rank: number } | null;

/**
 * The fallback step, apart from scoring: the best-ranked model that `allowed` accepts, within
 * the first `maxFallbacks + 1` ranks and with a score of at least `minScore`.
 */
export function selectWithFallback(
  scores: ArrayLike<number>,
  allowed: (model: number) => boolean,
  options: { readonly maxFallbacks?: number; readonly minScore?: number } = {},
): Selection {
  const order = rankModels(scores);
  const limit = Math.min(order.length, (options.maxFallbacks ?? order.length) + 1);
  const minScore = options.minScore ?? Number.NEGATIVE_INFINITY;
  for (let r = 0; r < limit; r++) {
    const m = order[r]!;
    if (!(scores[m]! >= minScore)) return null;
    if (allowed(m)) return { model: m, rank: r };
  }
  return null;
}
