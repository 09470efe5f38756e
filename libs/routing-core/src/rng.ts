// The seeded generator lives in libs/random (one home for every seeded draw); re-exported here
// for the routing core's callers.
export { createRng, shuffledIndices, type Rng } from '@switchyard/random';
