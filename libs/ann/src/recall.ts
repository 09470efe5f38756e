/**
 * Mean share of the true top-k ids (from exact search) found in the approximate top-k, per query;
 * both results n x k row-major with -1 padding.
 */
export function recallAtK(truth: Int32Array, approx: Int32Array, k: number): number {
  const nq = truth.length / k;
  let sum = 0;
  let counted = 0;
  for (let q = 0; q < nq; q++) {
    let want = 0;
    let hit = 0;
    for (let i = 0; i < k; i++) {
      const t = truth[q * k + i]!;
      if (t < 0) continue;
      want++;
      for (let j = 0; j < k; j++) {
        if (approx[q * k + j] === t) {
          hit++;
          break;
        }
      }
    }
    if (want > 0) {
      sum += hit / want;
      counted++;
    }
  }
  return counted === 0 ? 1 : sum / counted;
}
