// The seeded generator and the normal draw live in libs/random (one home for every seeded
// draw); the dataset library's names for them stay.
import { createRng, gaussian } from '@switchyard/random';

/** mulberry32: the seeded generator of libs/random. */
export const mulberry32 = createRng;
export { gaussian };
