// The one seeded generator of switchyard (mulberry32): splits, synthetic data, embedder
// projections, policies, simulations and benchmark fixtures all draw from it, so a seed means
// the same stream everywhere and on every platform. Ample for shuffling and simulation; not
// for cryptography.
export type Rng = () => number;

/** A uniform draw in [0, 1) per call, fully determined by `seed` (taken as uint32). */
export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher-Yates permutation of 0..n-1. */
export function shuffledIndices(n: number, rng: Rng): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}

/** Standard normal draw by Box-Muller from a uniform source. */
export function gaussian(rand: Rng): number {
  const u = Math.max(rand(), 1e-12);
  const v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
