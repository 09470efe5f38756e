/**
 * gpu.js kernel sources, given as strings so that what gpu.js parses is exactly this text and not
 * whatever a TypeScript transform or a coverage instrumenter makes of a function.
 *
 * Layout: every Q*M array is flat and row-major; thread x is the flat cell (or the query for
 * `best`). Only SCORE reads the inputs; BEST and POSITION read its output, so each batch uploads
 * its inputs once. The score expression has the TypeScript backend's operation order,
 * alpha*q - p*c + b, each step in float32; fused multiply-add would change the last bit, and the
 * webasm backend (WebAssembly f32 arithmetic) does not fuse. Masked cells score -Infinity, passed
 * in as a one-element array because kernels cannot spell the literal portably; tests against
 * -3.4e38 (below every finite float32 score the range check allows) detect it.
 */

/** Arguments: quality, cost, prices, alpha, bonus, mask (as float32: 0 masked), negInf. */
export const SCORE_KERNEL = `function (quality, cost, prices, alpha, bonus, mask, negInf) {
  const i = this.thread.x;
  const q = Math.floor(i / this.constants.nModels);
  const m = i - q * this.constants.nModels;
  if (mask[i] === 0) {
    return negInf[0];
  }
  return alpha * quality[i] - prices[m] * cost[i] + bonus[i];
}`;

/**
 * Argmax per query over the score kernel's output. Masked cells hold -Infinity and allowed ones
 * are above -3.4e38, so "strictly greater than the best so far, starting from -3.4e38" skips
 * masked models, keeps the lowest index on ties, and leaves -1 when none is allowed.
 */
export const BEST_KERNEL = `function (scores) {
  const row = this.thread.x * this.constants.nModels;
  let bestIndex = -1;
  let bestScore = -3.4e38;
  for (let m = 0; m < this.constants.nModels; m++) {
    const s = scores[row + m];
    if (s > bestScore) {
      bestIndex = m;
      bestScore = s;
    }
  }
  return bestIndex;
}`;

/**
 * Position of model m in the descending order of query q, from the score kernel's output (gather
 * form: each cell counts the models that beat it, ties broken by lower index), -1 when masked.
 * The caller inverts positions into the ranking; gpu.js kernels cannot scatter.
 */
export const POSITION_KERNEL = `function (scores) {
  const i = this.thread.x;
  const s = scores[i];
  if (s < -3.4e38) {
    return -1;
  }
  const q = Math.floor(i / this.constants.nModels);
  const m = i - q * this.constants.nModels;
  const row = q * this.constants.nModels;
  let position = 0;
  for (let other = 0; other < this.constants.nModels; other++) {
    const t = scores[row + other];
    if (t > s || (t === s && other < m)) {
      position = position + 1;
    }
  }
  return position;
}`;
