import { mulberry32 } from './random.ts';

/**
 * Seeded split of `n` items: returns a mask with exactly round(n * testFraction) test entries,
 * chosen by a Fisher-Yates shuffle, so a split is reproducible from (seed, n, testFraction).
 */
export function seededTestMask(n: number, testFraction: number, seed: number): Uint8Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const rand = mulberry32(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  const mask = new Uint8Array(n);
  const nTest = Math.round(n * testFraction);
  for (let i = 0; i < nTest; i++) mask[order[i]!] = 1;
  return mask;
}
