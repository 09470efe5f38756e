// What file mode writes and counts: the batch, decision and dead-letter files, and the
// per-model and per-reason tallies of the summary.
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { join } from 'node:path';
import { sanitizeTopicComponent } from '@switchyard/config';
import type { DeadLetterV1, RoutedBatchV2 } from '@switchyard/contracts';
import type { FileDecision } from './file-router.ts';

/** JSONL writer that waits for the stream to drain, so output never piles up in memory. */
class JsonlFile {
  readonly #stream: WriteStream;
  constructor(path: string) {
    this.#stream = createWriteStream(path, { flags: 'w' });
  }
  async write(value: unknown): Promise<void> {
    if (!this.#stream.write(`${JSON.stringify(value)}\n`)) await once(this.#stream, 'drain');
  }
  async close(): Promise<void> {
    this.#stream.end();
    await once(this.#stream, 'finish');
  }
}

type ModelTally = { requests: number; batches: number; estimatedTokens: number; qualitySum: number };

export class RouteOutputs {
  readonly #outDir: string;
  readonly #batchFiles = new Map<string, JsonlFile>();
  readonly #decisionsFile: JsonlFile;
  readonly #deadLetterFile: JsonlFile;
  readonly perModel = new Map<string, ModelTally>();
  readonly rejectedByReason: Record<string, number> = {};
  readonly deadLettersByReason: Record<string, number> = {};
  routed = 0;
  rejected = 0;
  deadLettered = 0;
  deferrals = 0;
  batches = 0;
  /** Requests with a final outcome (routed, rejected or dead-lettered). */
  decided = 0;
  /**
   * Rejected requests whose dead letter has not been seen yet: a rejection is one decision and
   * one dead letter (written after it, from the same slice), and is counted once, as rejected.
   * `deadLettered` counts only records that never got a decision (unreadable or invalid).
   */
  readonly #rejectedAwaitingDeadLetter = new Set<string>();
  #closed = false;

  constructor(outDir: string) {
    this.#outDir = outDir;
    this.#decisionsFile = new JsonlFile(join(outDir, 'decisions.jsonl'));
    this.#deadLetterFile = new JsonlFile(join(outDir, 'dead-letters.jsonl'));
  }

  /** Writes a decision; true when it is final (not a deferral round). */
  async decision(d: FileDecision): Promise<boolean> {
    await this.#decisionsFile.write(d);
    if (d.outcome === 'deferred') return false;
    this.decided += 1;
    if (d.outcome === 'rejected') {
      this.rejected += 1;
      const reason = d.reason ?? 'unknown';
      this.rejectedByReason[reason] = (this.rejectedByReason[reason] ?? 0) + 1;
      this.#rejectedAwaitingDeadLetter.add(d.requestId);
    }
    return true;
  }

  async batch(model: string, batch: RoutedBatchV2): Promise<void> {
    const s = this.perModel.get(model) ?? { requests: 0, batches: 0, estimatedTokens: 0, qualitySum: 0 };
    s.requests += batch.requests.length;
    s.batches += 1;
    s.estimatedTokens += batch.totalEstimatedTokens;
    for (const r of batch.requests) s.qualitySum += r.predictedQuality;
    this.perModel.set(model, s);
    this.routed += batch.requests.length;
    this.batches += 1;
    await this.#batchFile(model).write(batch);
  }

  async deadLetter(dl: DeadLetterV1): Promise<void> {
    const requestId = dl.originalKey?.toString('utf8');
    // The dead-letter copy of a rejection was already counted by its decision.
    const copyOfRejection = requestId !== undefined && this.#rejectedAwaitingDeadLetter.delete(requestId);
    if (!copyOfRejection) {
      this.deadLettered += 1;
      this.decided += 1;
      this.deadLettersByReason[dl.reason] = (this.deadLettersByReason[dl.reason] ?? 0) + 1;
    }
    await this.#deadLetterFile.write({
      requestId: dl.originalKey?.toString('utf8') ?? null,
      reason: dl.reason,
      detail: dl.detail,
      sourceTopic: dl.sourceTopic,
      sourceOffset: dl.sourceOffset,
      failedAt: dl.failedAt,
    });
  }

  perModelSummary(): Record<string, { requests: number; batches: number; estimatedTokens: number; meanPredictedQuality: number | null }> {
    return Object.fromEntries(
      [...this.perModel.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([m, s]) => [m, { requests: s.requests, batches: s.batches, estimatedTokens: s.estimatedTokens, meanPredictedQuality: s.requests > 0 ? s.qualitySum / s.requests : null }]),
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const f of [this.#decisionsFile, this.#deadLetterFile, ...this.#batchFiles.values()]) await f.close();
  }

  #batchFile(model: string): JsonlFile {
    let f = this.#batchFiles.get(model);
    if (f === undefined) {
      f = new JsonlFile(join(this.#outDir, 'batches', `${sanitizeTopicComponent(model, 200)}.jsonl`));
      this.#batchFiles.set(model, f);
    }
    return f;
  }
}
