// Prices a data set's models from its recorded calls, for runs that need per-token prices
// (the demo's executors, file mode under a dollar budget in the quality benchmark).
/**
 * One price per model from the data set's recorded calls: its total cost over its total tokens,
 * per 1,000 (the data set does not split prompt from completion). Models with no priced call
 * are left out (their answers then have no cost), never given a made-up price.
 */
export function pricesFromHistory(models: readonly string[], history: readonly { readonly cost: ArrayLike<number>; readonly tokens: ArrayLike<number> }[]): Record<string, number> {
  const out: Record<string, number> = {};
  models.forEach((name, k) => {
    let cost = 0;
    let tokens = 0;
    for (const q of history) {
      const c = q.cost[k]!;
      const t = q.tokens[k]!;
      if (Number.isFinite(c) && Number.isFinite(t) && c >= 0 && t > 0) {
        cost += c;
        tokens += t;
      }
    }
    if (tokens > 0) out[name] = (cost / tokens) * 1000;
  });
  return out;
}
