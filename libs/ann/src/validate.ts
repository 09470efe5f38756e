import { AnnError } from './errors.ts';

export function rowsOf(vectors: Float32Array, dim: number, what: string): number {
  if (vectors.length % dim !== 0) {
    throw new AnnError('bad_dimension', `${what}: length ${vectors.length} is not a multiple of dim ${dim}`);
  }
  return vectors.length / dim;
}

export function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 1) throw new AnnError('bad_argument', `k must be a positive integer, got ${k}`);
}
