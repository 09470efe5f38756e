/**
 * Batch sizes are padded up to a small set of buckets so that compiled kernels (one per
 * bucket x nModels) are reused across batches of nearby sizes. Buckets are 2^k and 1.5 * 2^k
 * from MIN_BUCKET_ROWS up: at most a third of a padded batch is padding.
 */
export const MIN_BUCKET_ROWS = 64;

export function bucketRows(nQueries: number): number {
  if (nQueries <= MIN_BUCKET_ROWS) return MIN_BUCKET_ROWS;
  let pow = MIN_BUCKET_ROWS;
  while (pow * 2 < nQueries) pow *= 2;
  const middle = pow + pow / 2;
  if (nQueries <= middle) return middle;
  return pow * 2;
}
