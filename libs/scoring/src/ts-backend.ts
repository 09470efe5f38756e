import { ScoringError } from './errors.ts';
import type { ScoreInput, ScoreOutput, ScoringBackend } from './types.ts';
import { validateScoreInput } from './validate.ts';

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
    validateScoreInput(input);
    const { nQueries, nModels, quality, cost, prices, bonus, mask } = input;
    const alpha = f(input.alpha);
    const scores = new Float32Array(nQueries * nModels);
    const best = new Int32Array(nQueries);
    for (let q = 0; q < nQueries; q++) {
      const row = q * nModels;
      let bestIndex = -1;
      let bestScore = 0;
      for (let m = 0; m < nModels; m++) {
        const i = row + m;
        if (mask !== undefined && mask[i] === 0) {
          scores[i] = -Infinity;
          continue;
        }
        let s = f(f(alpha * quality[i]!) - f(prices[m]! * cost[i]!));
        if (bonus !== undefined) s = f(s + bonus[i]!);
        scores[i] = s;
        // Strictly greater: on ties the lowest model index wins, as in the gpu.js kernel.
        if (bestIndex < 0 || s > bestScore) {
          bestIndex = m;
          bestScore = s;
        }
      }
      best[q] = bestIndex;
    }
    return { scores, best };
  }

  rankBatch(input: ScoreInput): Int32Array {
    const { nQueries, nModels, mask } = input;
    const { scores } = this.scoreBatch(input);
    const ranking = new Int32Array(nQueries * nModels).fill(-1);
    const order = new Int32Array(nModels);
    for (let q = 0; q < nQueries; q++) {
      const row = q * nModels;
      let allowed = 0;
      // Insertion sort: rows are short (tens of models) and it is stable, so equal scores keep
      // ascending model order without a secondary key.
      for (let m = 0; m < nModels; m++) {
        if (mask !== undefined && mask[row + m] === 0) continue;
        const s = scores[row + m]!;
        let j = allowed;
        while (j > 0 && scores[row + order[j - 1]!]! < s) {
          order[j] = order[j - 1]!;
          j--;
        }
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
