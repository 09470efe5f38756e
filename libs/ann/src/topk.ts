/**
 * Keeps the k largest (score, id) pairs in a sorted array, best first. For the k <= 64 used by
 * routing, insertion into a sorted array beats a heap: most candidates fail the first compare.
 */
export class TopK {
  readonly scores: Float32Array;
  readonly ids: Int32Array;
  count = 0;
  worst = -Infinity;
  constructor(readonly k: number) {
    this.scores = new Float32Array(k);
    this.ids = new Int32Array(k);
  }
  reset(): void {
    this.count = 0;
    this.worst = -Infinity;
  }
  push(score: number, id: number): void {
    const k = this.k;
    if (this.count === k && !(score > this.worst)) return;
    let i = this.count < k ? this.count++ : k - 1;
    // Ties keep the lower id first (ids arrive in increasing order), so results are deterministic.
    while (i > 0 && this.scores[i - 1]! < score) {
      this.scores[i] = this.scores[i - 1]!;
      this.ids[i] = this.ids[i - 1]!;
      i--;
    }
    this.scores[i] = score;
    this.ids[i] = id;
    if (this.count === k) this.worst = this.scores[k - 1]!;
  }
  writeTo(ids: Int32Array, scores: Float32Array, offset: number): void {
    for (let j = 0; j < this.k; j++) {
      ids[offset + j] = j < this.count ? this.ids[j]! : -1;
      scores[offset + j] = j < this.count ? this.scores[j]! : -Infinity;
    }
  }
}
