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
  const idx = Array.from({ length: scores.length }, (_, i) => i);
  const key = (i: number): number => {
    const s = scores[i]!;
    return Number.isNaN(s) ? Number.NEGATIVE_INFINITY : s;
  };
  idx.sort((a, b) => key(b) - key(a) || a - b);
  return Int32Array.from(idx);
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
