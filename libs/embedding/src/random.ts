// The seeded generator lives in libs/random, so projections are identical wherever the
// embedder is rebuilt, and equal to every other seeded draw's stream.
export { createRng as mulberry32Float } from '@switchyard/random';
