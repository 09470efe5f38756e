import { describe, expect, it } from 'vitest';
import { bucketRows, MIN_BUCKET_ROWS } from '../src/index.ts';

describe('bucketRows', () => {
  it('pads to 2^k or 1.5*2^k, never below the minimum', () => {
    expect([0, 1, 63, 64, 65, 96, 97, 128, 129, 1000, 1024, 1025, 4096].map(bucketRows)).toEqual([
      64, 64, 64, 64, 96, 96, 128, 128, 192, 1024, 1024, 1536, 4096,
    ]);
  });

  it('always fits the batch and wastes at most a third of the bucket above the minimum', () => {
    const violations: number[] = [];
    for (let q = 1; q <= 20_000; q++) {
      const rows = bucketRows(q);
      if (rows < q || (q > MIN_BUCKET_ROWS && (rows - q) / rows >= 1 / 3 + 1e-9)) violations.push(q);
    }
    expect(violations).toEqual([]);
  });
});
