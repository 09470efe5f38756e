import { ScoringError } from './errors.ts';
import type { ScoreInput } from './types.ts';

function checkLength(field: string, actual: number, expected: number): void {
  if (actual !== expected) {
    throw new ScoringError('bad_shape', `${field} has length ${actual}, expected ${expected}`);
  }
}

/**
 * Bound on |value| for every input. With all three terms at most 1e18 * 1e18 = 1e36 in magnitude,
 * a score stays below float32's 3.4e38, so no finite input can overflow to Infinity or produce
 * NaN (Infinity - Infinity) inside a kernel, and -Infinity stays reserved for masked entries.
 */
export const MAX_ABS_INPUT = 1e18;

function checkValue(field: string, value: number): void {
  if (!Number.isFinite(value)) {
    throw new ScoringError('non_finite', `${field} is ${value}`);
  }
  if (Math.abs(value) > MAX_ABS_INPUT) {
    throw new ScoringError('out_of_range', `${field} is ${value}, beyond +-${MAX_ABS_INPUT}`);
  }
}

function checkValues(field: string, values: Float32Array): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    // One comparison per element on the hot path; NaN fails it too.
    if (!(v <= MAX_ABS_INPUT && v >= -MAX_ABS_INPUT)) checkValue(`${field}[${i}]`, v);
  }
}

/** Dimensions, lengths, alpha and prices: everything but the Q*M cell values. */
export function validateScoreShape(input: ScoreInput): void {
  const { nQueries, nModels } = input;
  if (!Number.isSafeInteger(nQueries) || nQueries < 0) {
    throw new ScoringError('bad_shape', `nQueries must be a non-negative integer, got ${nQueries}`);
  }
  if (!Number.isSafeInteger(nModels) || nModels < 1) {
    throw new ScoringError('bad_shape', `nModels must be a positive integer, got ${nModels}`);
  }
  const cells = nQueries * nModels;
  // gpu.js returns model indices as float32, exact only up to 2^24.
  if (cells > 2 ** 24) {
    throw new ScoringError('bad_shape', `batch of ${cells} cells exceeds the limit of ${2 ** 24}`);
  }
  checkLength('quality', input.quality.length, cells);
  checkLength('cost', input.cost.length, cells);
  checkLength('prices', input.prices.length, nModels);
  if (input.bonus !== undefined) checkLength('bonus', input.bonus.length, cells);
  if (input.mask !== undefined) checkLength('mask', input.mask.length, cells);
  checkValue('alpha', input.alpha);
  checkValues('prices', input.prices);
}

/** Throws the ScoringError naming the first bad cell value, array by array; returns if all are good. */
export function reportBadCells(input: ScoreInput): void {
  checkValues('quality', input.quality);
  checkValues('cost', input.cost);
  if (input.bonus !== undefined) checkValues('bonus', input.bonus);
}

/**
 * Cell values within +-MAX_ABS_INPUT (NaN fails the comparisons too). One pass over the arrays
 * side by side, which measured about twice as fast as one pass per array; the slow per-array
 * pass runs only to name the culprit.
 */
export function validateCells(input: ScoreInput): void {
  const { quality, cost, bonus } = input;
  const max = MAX_ABS_INPUT;
  const n = quality.length;
  let ok = true;
  if (bonus !== undefined) {
    for (let i = 0; i < n && ok; i++) {
      const a = quality[i]!;
      const b = cost[i]!;
      const c = bonus[i]!;
      ok = a <= max && a >= -max && b <= max && b >= -max && c <= max && c >= -max;
    }
  } else {
    for (let i = 0; i < n && ok; i++) {
      const a = quality[i]!;
      const b = cost[i]!;
      ok = a <= max && a >= -max && b <= max && b >= -max;
    }
  }
  if (!ok) reportBadCells(input);
}

/**
 * Boundary check of a batch, shared by every backend so they reject exactly the same inputs
 * (the TypeScript backend fuses the cell check into its scoring loop, with the same bounds).
 */
export function validateScoreInput(input: ScoreInput): void {
  validateScoreShape(input);
  validateCells(input);
}
