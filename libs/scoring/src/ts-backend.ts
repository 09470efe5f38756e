import { ScoringError } from './errors.ts';
import type { ScoreInput, ScoreOutput, ScoringBackend } from './types.ts';
import { MAX_ABS_INPUT, reportBadCells, validateScoreShape } from './validate.ts';

const f = Math.fround;

/**
 * Plain TypeScript kernel. Every operation is rounded to float32 in the same order as the gpu.js
 * kernel (alpha*q, p*c, subtract, add bonus), so both backends produce bit-identical scores and
 * therefore the same argmax. Rounding the exact double result of one float32 operation to float32
 * is correctly rounded (double has >= 2p+2 bits; Figueroa, "When is double rounding innocuous?",
 * SIGNUM 1995), so this matches IEEE float32 hardware without fused multiply-add.
 */
export class TsScoringBackend implements ScoringBackend {
  readonly name = 'ts' as const;
  readonly mode = 'ts';
  #disposed = false;

  scoreBatch(input: ScoreInput): ScoreOutput {
    this.#assertOpen();
    validateScoreShape(input);
    const { nQueries, nModels, quality, cost, prices, bonus, mask } = input;
    const alpha = f(input.alpha);
    const max = MAX_ABS_INPUT;
    const hasBonus = bonus !== undefined;
    const hasMask = mask !== undefined;
    const scores = new Float32Array(nQueries * nModels);
    const best = new Int32Array(nQueries);
    // The cell range check rides along the scoring loop (a separate pass cost as much as the
    // scoring itself); masked cells are checked too, so both backends reject the same inputs.
    let cellsOk = true;
    for (let q = 0; q < nQueries; q++) {
      const row = q * nModels;
      let bestIndex = -1;
      let bestScore = -Infinity;
      for (let m = 0; m < nModels; m++) {
        const i = row + m;
        const qv = quality[i]!;
        const cv = cost[i]!;
        const bv = hasBonus ? bonus[i]! : 0;
        cellsOk &&= qv <= max && qv >= -max && cv <= max && cv >= -max && bv <= max && bv >= -max;
        let s = f(f(alpha * qv) - f(prices[m]! * cv));
        if (hasBonus) s = f(s + bv);
        if (hasMask && mask[i] === 0) s = -Infinity;
        scores[i] = s;
        // Allowed scores are finite, masked ones -Infinity; strictly greater keeps the lowest
        // model index on ties, as in the gpu.js kernel.
        if (s > bestScore) {
          bestIndex = m;
          bestScore = s;
        }
      }
      best[q] = bestIndex;
    }
    if (!cellsOk) {
      reportBadCells(input);
      throw new ScoringError('non_finite', 'a cell value is out of range');
    }
    return { scores, best };
  }

  rankBatch(input: ScoreInput): Int32Array {
    const { nQueries, nModels, mask } = input;
    const { scores } = this.scoreBatch(input);
    const ranking = new Int32Array(nQueries * nModels).fill(-1);
    const order = new Int32Array(nModels);
    const keys = new Float32Array(nModels);
    for (let q = 0; q < nQueries; q++) {
      const row = q * nModels;
      let allowed = 0;
      // Insertion sort on (score, model) pairs kept side by side: rows are short (tens of models),
      // and it is stable, so equal scores keep ascending model order without a secondary key.
      for (let m = 0; m < nModels; m++) {
        if (mask !== undefined && mask[row + m] === 0) continue;
        const s = scores[row + m]!;
        let j = allowed;
        while (j > 0 && keys[j - 1]! < s) {
          keys[j] = keys[j - 1]!;
          order[j] = order[j - 1]!;
          j--;
        }
        keys[j] = s;
        order[j] = m;
        allowed++;
      }
      for (let r = 0; r < allowed; r++) ranking[row + r] = order[r]!;
    }
    return ranking;
  }

  dispose(): void {
    this.#disposed = true;
  }

  #assertOpen(): void {
    if (this.#disposed) throw new ScoringError('disposed', 'ts scoring backend used after dispose()');
  }
}
