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
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CliError } from '../errors.ts';
import type { JobSource } from '../source/record.ts';
import type { BadLine } from '../submit/submit.ts';
import { submitLines } from '../submit/submit.ts';
import type { RequestDefaults } from '../submit/request.ts';
import type { InputRecord, OutputMessage } from '@switchyard/routing-engine';
import type { FileRouter } from './file-router.ts';
import { RouteOutputs } from './outputs.ts';

export interface RouteFileOptions {
  readonly engine: FileRouter;
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

interface Pending {
  readonly deferUntil: number;
  readonly message: OutputMessage;
}

export async function routeFile(opts: RouteFileOptions): Promise<RouteSummary> {
  const { engine, clock } = opts;
  await mkdir(join(opts.outDir, 'batches'), { recursive: true });
  const modelOfTopic = new Map(Object.entries(engine.topics.routedByModel).map(([m, t]) => [t, m]));
  const out = new RouteOutputs(opts.outDir);
  let offset = 0;
  let deferredOffset = 0;
  let linesRead = 0;
  let lastDecisionMs = clock.start;
  // Ordered by due time; filled only by deferrals, each of which moves a request forward in
  // time, and every request is deferred at most router.maxDeferrals times.
  const pending: Pending[] = [];

  const record = async (m: OutputMessage): Promise<void> => {
    const decoded = await engine.decode(m);
    if (decoded.kind === 'routed') {
      await out.batch(modelOfTopic.get(m.topic) ?? decoded.batch.model, decoded.batch);
    } else if (decoded.kind === 'deferred') {
      out.deferrals += 1;
      insertByDue(pending, { deferUntil: decoded.deferred.deferUntil, message: m });
    } else {
      await out.deadLetter(decoded.deadLetter);
    }
  };

  const handle = async (records: readonly InputRecord[]): Promise<void> => {
    let rest = records;
    while (rest.length > 0) {
      const result = await engine.run(rest);
      for (const d of result.decisions) {
        if (await out.decision(d)) lastDecisionMs = clock.now();
      }
      for (const m of result.messages) await record(m);
      if (result.processed === 0) {
        // A deferred record that is not due yet: in virtual time, waiting is jumping there.
        if (result.pauseUntilMs === null) throw new CliError('source_invalid', 'the routing step made no progress on a slice');
        clock.advanceTo(result.pauseUntilMs);
      }
      rest = rest.slice(result.processed);
      opts.onProgress?.({ linesRead, decided: out.decided, bytesRead: opts.source.bytesRead() });
    }
  };

  const drainDue = async (): Promise<void> => {
    while (pending.length > 0 && pending[0]!.deferUntil <= clock.now()) {
      const due: InputRecord[] = [];
      while (pending.length > 0 && pending[0]!.deferUntil <= clock.now() && due.length < opts.sliceRequests) {
        const p = pending.shift()!;
        due.push({ topic: engine.topics.deferred, partition: 0, offset: String(deferredOffset++), key: bufferOf(p.message.key), value: p.message.value, headers: [] });
      }
      await handle(due);
    }
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
    await out.close();
  }

  const summary: RouteSummary = {
    jobId: opts.jobId,
    policy: engine.policy,
    linesRead: result.linesRead,
    badLines: result.bad,
    requests: result.produced,
    routed: out.routed,
    rejected: out.rejected,
    deadLettered: out.deadLettered,
    deferrals: out.deferrals,
    batches: out.batches,
    virtualSpanMs: lastDecisionMs - clock.start,
    minuteWindows: Math.floor(lastDecisionMs / 60_000) - Math.floor(clock.start / 60_000) + 1,
    perModel: out.perModelSummary(),
    rejectedByReason: out.rejectedByReason,
    deadLettersByReason: out.deadLettersByReason,
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
