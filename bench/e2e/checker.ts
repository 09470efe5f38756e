/**
 * The exactly-once check of the end-to-end benchmark, in constant memory per request: one bit per
 * request index for "reached a terminal topic" (a routed batch or the dead-letter topic), and the
 * time that happened, so 1,000,000 requests cost about 8 MB, never the records themselves.
 */

/** Index (0-based) of a request id `<jobId>-L<line>` of this job, or -1 when the id is not one of its n lines. */
export function requestIndexOf(requestId: string, jobId: string, n: number): number {
  const prefix = `${jobId}-L`;
  if (!requestId.startsWith(prefix)) return -1;
  const digits = requestId.slice(prefix.length);
  if (!/^[1-9][0-9]{0,15}$/.test(digits)) return -1;
  const line = Number(digits);
  return line >= 1 && line <= n ? line - 1 : -1;
}

export type Arrival = 'routed' | 'dead-letter' | 'deferred';

export interface CheckSummary {
  readonly expected: number;
  /** Requests seen exactly once or more in a terminal topic. */
  readonly delivered: number;
  readonly missing: number;
  /** Terminal arrivals beyond the first for a request already seen. */
  readonly duplicates: number;
  /** Records whose request id is not one of this job's lines. */
  readonly foreign: number;
  readonly routed: number;
  readonly deadLettered: number;
  /** Deferral records (intermediate: a deferred request must still arrive once in a terminal topic). */
  readonly deferrals: number;
  readonly exactlyOnce: boolean;
}

export class ExactlyOnceChecker {
  private readonly seen: Uint8Array;
  /** Epoch ms of the first terminal arrival per request (NaN until then). */
  readonly visibleAtMs: Float64Array;
  private delivered = 0;
  private duplicates = 0;
  private foreign = 0;
  private routed = 0;
  private deadLettered = 0;
  private deferrals = 0;

  constructor(readonly expected: number) {
    this.seen = new Uint8Array(Math.ceil(expected / 8));
    this.visibleAtMs = new Float64Array(expected).fill(Number.NaN);
  }

  /** Records one arrival; index -1 stands for an id that is not one of the job's requests. */
  record(index: number, kind: Arrival, atMs: number): void {
    if (index < 0 || index >= this.expected) {
      this.foreign += 1;
      return;
    }
    if (kind === 'deferred') {
      this.deferrals += 1;
      return;
    }
    if (kind === 'routed') this.routed += 1;
    else this.deadLettered += 1;
    const byte = index >>> 3;
    const bit = 1 << (index & 7);
    if ((this.seen[byte]! & bit) !== 0) {
      this.duplicates += 1;
      return;
    }
    this.seen[byte] = this.seen[byte]! | bit;
    this.visibleAtMs[index] = atMs;
    this.delivered += 1;
  }

  get deliveredCount(): number {
    return this.delivered;
  }

  has(index: number): boolean {
    return index >= 0 && index < this.expected && (this.seen[index >>> 3]! & (1 << (index & 7))) !== 0;
  }

  /** Up to `limit` indices never seen, for the error message. */
  missingSample(limit: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.expected && out.length < limit; i++) if (!this.has(i)) out.push(i);
    return out;
  }

  summary(): CheckSummary {
    const missing = this.expected - this.delivered;
    return {
      expected: this.expected,
      delivered: this.delivered,
      missing,
      duplicates: this.duplicates,
      foreign: this.foreign,
      routed: this.routed,
      deadLettered: this.deadLettered,
      deferrals: this.deferrals,
      exactlyOnce: missing === 0 && this.duplicates === 0 && this.foreign === 0,
    };
  }
}
