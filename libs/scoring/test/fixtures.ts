import type { ScoreInput } from '../src/index.ts';
import { createRng } from '@switchyard/random';

/** The one seeded generator (libs/random), so fixtures are reproducible without test data files. */
export const rng = createRng;

export interface BatchOptions {
  seed: number;
  nQueries: number;
  nModels: number;
  alpha?: number;
  withBonus?: boolean;
  /** Probability that a cell is masked out; 0 leaves the mask off. */
  maskRate?: number;
  /** Draw values from this few levels so that ties are frequent. */
  levels?: number;
}

export function randomBatch(o: BatchOptions): ScoreInput {
  const next = rng(o.seed);
  const cells = o.nQueries * o.nModels;
  const draw = (): number => (o.levels === undefined ? next() : Math.floor(next() * o.levels) / o.levels);
  const quality = Float32Array.from({ length: cells }, draw);
  const cost = Float32Array.from({ length: cells }, () => draw() * 1e-3);
  const prices = Float32Array.from({ length: o.nModels }, () => draw() * 100);
  const input: ScoreInput = { nQueries: o.nQueries, nModels: o.nModels, quality, cost, prices, alpha: o.alpha ?? 1 };
  if (o.withBonus === true) input.bonus = Float32Array.from({ length: cells }, () => draw() * 0.1);
  if (o.maskRate !== undefined && o.maskRate > 0) {
    const rate = o.maskRate;
    input.mask = Uint8Array.from({ length: cells }, () => (next() < rate ? 0 : 1));
  }
  return input;
}
