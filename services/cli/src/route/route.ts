// File mode: a bulk job routed without Kafka, by the router's own routing step, into files:
//   <out>/batches/<model>.jsonl   one routed batch per line (as the routed.<model> topics hold them)
//   <out>/decisions.jsonl         one decision per line (the switchyard.decisions columns); a
//                                 deferred request has a line per round, the last one wins
//   <out>/dead-letters.jsonl      requests the router refused, with reason and line
//   <out>/summary.json            counts per model and outcome
// Time is virtual: the whole file arrives at the start time, as a job submitted at once would.
// Requests deferred because a budget window is full come back when their window resets (the
// virtual clock jumps there), so budgets apply over time as they do in the service, without
// waiting for real minutes.
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sanitizeTopicComponent } from '@switchyard/config';
import { CliError } from '../errors.ts';
import type { JobSource } from '../source/record.ts';
import type { BadLine } from '../submit/submit.ts';
import { submitLines } from '../submit/submit.ts';
import type { RequestDefaults } from '../submit/request.ts';
import type { EngineMessage, EngineRecord, RoutingEngine } from './engine.ts';

export interface RouteFileOptions {
  readonly engine: RoutingEngine;
  readonly source: JobSource;
  readonly outDir: string;
  readonly jobId: string;
  readonly tenant: string;
  readonly defaults: RequestDefaults;
  /** Requests per routing-step call (a "slice", as a Kafka fetch would deliver). */
  readonly sliceRequests: number;
  readonly keepBadLines: number;
  /** Shared with the engine's clock: route advances it, the engine reads it. */
  readonly clock: VirtualClock;
  readonly onBadLine?: (bad: BadLine) => void;
  readonly onProgress?: (p: { linesRead: number; decided: number; bytesRead: number }) => void;
}

export interface RouteSummary {
  readonly jobId: string;
  readonly policy: string;
  readonly linesRead: number;
  readonly badLines: number;
  readonly requests: number;
  readonly routed: number;
  readonly rejected: number;
  readonly deadLettered: number;
  readonly deferrals: number;
  readonly batches: number;
  /** Virtual time the job took to route, from the start to the last decision. */
  readonly virtualSpanMs: number;
  /** Minute windows (aligned to the epoch, as the budgets are) from the start to the last decision. */
  readonly minuteWindows: number;
  readonly perModel: Readonly<Record<string, { readonly requests: number; readonly batches: number; readonly estimatedTokens: number; readonly meanPredictedQuality: number | null }>>;
  readonly rejectedByReason: Readonly<Record<string, number>>;
  readonly deadLettersByReason: Readonly<Record<string, number>>;
}

export class VirtualClock {
  #now: number;
  readonly start: number;
  constructor(startMs: number) {
    this.#now = startMs;
    this.start = startMs;
  }
  now = (): number => this.#now;
  advanceTo(ms: number): void {
    if (ms > this.#now) this.#now = ms;
  }
}

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

interface Pending {
  readonly deferUntil: number;
  readonly message: EngineMessage;
}

export async function routeFile(opts: RouteFileOptions): Promise<RouteSummary> {
  const { engine, clock } = opts;
  await mkdir(join(opts.outDir, 'batches'), { recursive: true });
  const modelOfTopic = new Map(Object.entries(engine.topics.routedByModel).map(([m, t]) => [t, m]));
  const batchFiles = new Map<string, JsonlFile>();
  const decisionsFile = new JsonlFile(join(opts.outDir, 'decisions.jsonl'));
  const deadLetterFile = new JsonlFile(join(opts.outDir, 'dead-letters.jsonl'));
  const perModel = new Map<string, { requests: number; batches: number; estimatedTokens: number; qualitySum: number }>();
  const rejectedByReason: Record<string, number> = {};
  const deadLettersByReason: Record<string, number> = {};
  let routed = 0;
  let rejected = 0;
  let deadLettered = 0;
  let deferrals = 0;
  let batches = 0;
  let decided = 0;
  let offset = 0;
  let deferredOffset = 0;
  let linesRead = 0;
  let lastDecisionMs = clock.start;
  // Ordered by due time; filled only by deferrals, each of which moves a request forward in
  // time, and every request is deferred at most router.maxDeferrals times.
  const pending: Pending[] = [];

  const batchFile = (model: string): JsonlFile => {
    let f = batchFiles.get(model);
    if (f === undefined) {
      f = new JsonlFile(join(opts.outDir, 'batches', `${sanitizeTopicComponent(model, 200)}.jsonl`));
      batchFiles.set(model, f);
    }
    return f;
  };

  const handle = async (records: readonly EngineRecord[]): Promise<void> => {
    let rest = records;
    while (rest.length > 0) {
      const result = await engine.run(rest);
      for (const d of result.decisions) {
        await decisionsFile.write(d);
        if (d.outcome === 'deferred') continue;
        decided += 1;
        lastDecisionMs = clock.now();
        if (d.outcome === 'rejected') {
          rejected += 1;
          const reason = d.reason ?? 'unknown';
          rejectedByReason[reason] = (rejectedByReason[reason] ?? 0) + 1;
        }
      }
      for (const m of result.messages) {
        const decoded = await engine.decode(m);
        if (decoded.kind === 'routed') {
          const model = modelOfTopic.get(m.topic) ?? decoded.batch.model;
          const s = perModel.get(model) ?? { requests: 0, batches: 0, estimatedTokens: 0, qualitySum: 0 };
          s.requests += decoded.batch.requests.length;
          s.batches += 1;
          s.estimatedTokens += decoded.batch.totalEstimatedTokens;
          for (const r of decoded.batch.requests) s.qualitySum += r.predictedQuality;
          perModel.set(model, s);
          routed += decoded.batch.requests.length;
          batches += 1;
          await batchFile(model).write(decoded.batch);
        } else if (decoded.kind === 'deferred') {
          deferrals += 1;
          insertByDue(pending, { deferUntil: decoded.deferred.deferUntil, message: m });
        } else {
          const dl = decoded.deadLetter;
          deadLettered += 1;
          decided += 1;
          deadLettersByReason[dl.reason] = (deadLettersByReason[dl.reason] ?? 0) + 1;
          await deadLetterFile.write({
            requestId: dl.originalKey?.toString('utf8') ?? null,
            reason: dl.reason,
            detail: dl.detail,
            sourceTopic: dl.sourceTopic,
            sourceOffset: dl.sourceOffset,
            failedAt: dl.failedAt,
          });
        }
      }
      if (result.processed === 0) {
        // A deferred record that is not due yet: in virtual time, waiting is jumping there.
        if (result.pauseUntilMs === null) throw new CliError('source_invalid', 'the routing step made no progress on a slice');
        clock.advanceTo(result.pauseUntilMs);
      }
      rest = rest.slice(result.processed);
      opts.onProgress?.({ linesRead, decided, bytesRead: opts.source.bytesRead() });
    }
  };

  const drainDue = async (): Promise<void> => {
    while (pending.length > 0 && pending[0]!.deferUntil <= clock.now()) {
      const due: EngineRecord[] = [];
      while (pending.length > 0 && pending[0]!.deferUntil <= clock.now() && due.length < opts.sliceRequests) {
        const p = pending.shift()!;
        due.push({ topic: engine.topics.deferred, partition: 0, offset: String(deferredOffset++), key: bufferOf(p.message.key), value: p.message.value, headers: [] });
      }
      await handle(due);
    }
  };

  let closed = false;
  const closeFiles = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    for (const f of [decisionsFile, deadLetterFile, ...batchFiles.values()]) await f.close();
  };
  let result;
  try {
    result = await submitLines(opts.source, {
      jobId: opts.jobId,
      tenant: opts.tenant,
      defaults: opts.defaults,
      encode: (r) => engine.encodeRequest(r),
      send: async (messages) => {
        await handle(messages.map((m) => ({ topic: engine.topics.requests, partition: 0, offset: String(offset++), key: Buffer.from(m.key, 'utf8'), value: m.value, headers: [] })));
        await drainDue();
      },
      chunkMessages: opts.sliceRequests,
      chunkBytes: 8 * 1024 * 1024,
      keepBadLines: opts.keepBadLines,
      clock: clock.now,
      // The pool is known here, so a line pinned to another model is a bad line, not a dead letter.
      knownModels: Object.keys(engine.topics.routedByModel),
      onBadLine: opts.onBadLine,
      onProgress: (p) => {
        linesRead = p.linesRead;
      },
    });
    linesRead = result.linesRead;
    while (pending.length > 0) {
      clock.advanceTo(pending[0]!.deferUntil);
      await drainDue();
    }
  } finally {
    await closeFiles();
  }

  const summary: RouteSummary = {
    jobId: opts.jobId,
    policy: engine.policy,
    linesRead: result.linesRead,
    badLines: result.bad,
    requests: result.produced,
    routed,
    rejected,
    deadLettered,
    deferrals,
    batches,
    virtualSpanMs: lastDecisionMs - clock.start,
    minuteWindows: Math.floor(lastDecisionMs / 60_000) - Math.floor(clock.start / 60_000) + 1,
    perModel: Object.fromEntries(
      [...perModel.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([m, s]) => [m, { requests: s.requests, batches: s.batches, estimatedTokens: s.estimatedTokens, meanPredictedQuality: s.requests > 0 ? s.qualitySum / s.requests : null }]),
    ),
    rejectedByReason,
    deadLettersByReason,
  };
  await writeFile(join(opts.outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  return summary;
}

function bufferOf(key: Buffer | string | null): Buffer | null {
  if (key === null) return null;
  return typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
}

function insertByDue(queue: Pending[], item: Pending): void {
  let lo = 0;
  let hi = queue.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (queue[mid]!.deferUntil <= item.deferUntil) lo = mid + 1;
    else hi = mid;
  }
  queue.splice(lo, 0, item);
}
