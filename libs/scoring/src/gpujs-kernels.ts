/**
 * gpu.js kernel sources, given as strings so that what gpu.js parses is exactly this text and not
 * whatever a TypeScript transform or a coverage instrumenter makes of a function.
 *
 * Layout: every Q*M array is flat and row-major; thread x is the flat cell (or the query for
 * `best`). The score expression is written once per kernel in the same operation order as the
 * TypeScript backend, alpha*q - p*c + b, each step in float32; fused multiply-add would change
 * the last bit, and the webasm backend (WebAssembly f32 arithmetic) does not fuse.
 * Arguments: quality, cost, prices, alpha, bonus, mask, then for SCORE and BEST negInf (a
 * one-element array holding -Infinity, since kernels cannot spell the literal portably).
 */

export const SCORE_KERNEL = `function (quality, cost, prices, alpha, bonus, mask, negInf) {
  const i = this.thread.x;
  const q = Math.floor(i / this.constants.nModels);
  const m = i - q * this.constants.nModels;
  if (mask[i] === 0) {
    return negInf[0];
  }
  return alpha * quality[i] - prices[m] * cost[i] + bonus[i];
}`;

/** Argmax per query; strictly greater keeps the lowest model index on ties; -1 when all masked. */
export const BEST_KERNEL = `function (quality, cost, prices, alpha, bonus, mask, negInf) {
  const row = this.thread.x * this.constants.nModels;
  let bestIndex = -1;
  let bestScore = negInf[0];
  for (let m = 0; m < this.constants.nModels; m++) {
    const i = row + m;
    if (mask[i] !== 0) {
      const s = alpha * quality[i] - prices[m] * cost[i] + bonus[i];
      if (bestIndex < 0 || s > bestScore) {
        bestIndex = m;
        bestScore = s;
      }
    }
  }
  return bestIndex;
}`;

/**
 * Position of model m in the descending order of query q (gather form: each cell counts the
 * allowed models that beat it, ties broken by lower index), -1 when masked. The caller inverts
 * positions into the ranking; a scatter from the kernel is not expressible in gpu.js.
 */
export const POSITION_KERNEL = `function (quality, cost, prices, alpha, bonus, mask) {
  const i = this.thread.x;
  const q = Math.floor(i / this.constants.nModels);
  const m = i - q * this.constants.nModels;
  if (mask[i] === 0) {
    return -1;
  }
  const s = alpha * quality[i] - prices[m] * cost[i] + bonus[i];
  const row = q * this.constants.nModels;
  let position = 0;
  for (let other = 0; other < this.constants.nModels; other++) {
    const j = row + other;
    if (mask[j] !== 0) {
      const t = alpha * quality[j] - prices[other] * cost[j] + bonus[j];
      if (t > s || (t === s && other < m)) {
        position = position + 1;
      }
    }
  }
  return position;
}`;
