/**
 * 32-bit hashing over UTF-16 code units: FNV-1a steps with MurmurHash3's fmix32 finaliser,
 * which fixes FNV's weak low bits. Pure integer arithmetic (Math.imul), so results are the same
 * on every platform and in workers.
 */
export const FNV_OFFSET = 0x811c9dc5;

export function fnvStep(h: number, c: number): number {
  return Math.imul(h ^ c, 0x01000193);
}

export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function combine(a: number, b: number): number {
  return fmix32(Math.imul(a, 0x9e3779b1) ^ b);
}
