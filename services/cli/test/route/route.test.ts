import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeferredV1, RequestV1, RoutedBatchV1 } from '@switchyard/contracts';
import { readJsonl } from '../../src/source/jsonl.ts';
import type { JobSource } from '../../src/source/record.ts';
import type { InputRecord, OutputMessage } from '@switchyard/routing-engine';
import type { FileDecision, FileRouter, FileRouterResult } from '../../src/route/file-router.ts';
import { VirtualClock, routeFile } from '../../src/route/route.ts';

const MINUTE = 60_000;

/**
 * A stand-in for the router's step with its shape: requests alternate between two models, at
 * most `perWindow` are routed per minute window, the rest are deferred to the next window
 * (Deferred records), and a deferred record that is not due stops the slice.
 */
function fakeEngine(clock: VirtualClock, perWindow: number): FileRouter & { runs: number } {
  const topics = { requests: 'req', deferred: 'def', deadLetter: 'dlq', routedByModel: { 'm/a': 'routed.m_a', 'm/b': 'routed.m_b' } };
  const used = new Map<number, number>();
  let batchNo = 0;
  const engine = {
    topics,
    policy: 'fake',
    runs: 0,
    encodeRequest: (r: RequestV1) => Buffer.from(JSON.stringify(r)),
    async run(records: readonly InputRecord[]): Promise<FileRouterResult> {
      engine.runs += 1;
      const messages: OutputMessage[] = [];
      const decisions: FileDecision[] = [];
      const routedNow: Record<string, RoutedBatchV1['requests'][number][]> = { 'm/a': [], 'm/b': [] };
      let processed = 0;
      for (const rec of records) {
        let request: RequestV1;
        let attempts = 0;
        if (rec.topic === topics.deferred) {
          const d = JSON.parse(rec.value!.toString()) as DeferredV1;
          if (d.deferUntil > clock.now()) return { messages, decisions, processed, pauseUntilMs: d.deferUntil };
          request = d.request;
          attempts = d.attempts;
        } else {
          request = JSON.parse(rec.value!.toString()) as RequestV1;
        }
        processed += 1;
        if (request.prompt === 'poison') {
          messages.push({ topic: topics.deadLetter, key: rec.key, value: Buffer.from(JSON.stringify({ reason: 'invalid_field', detail: 'poison', originalKey: request.requestId, sourceTopic: rec.topic, sourceOffset: Number(rec.offset), failedAt: clock.now() })) });
          continue;
        }
        const window = Math.floor(clock.now() / MINUTE);
        const n = used.get(window) ?? 0;
        if (n >= perWindow) {
          const deferUntil = (window + 1) * MINUTE;
          messages.push({ topic: topics.deferred, key: rec.key, value: Buffer.from(JSON.stringify({ request, deferUntil, reason: 'window_full', detail: null, attempts: attempts + 1, deferredAt: clock.now() })) });
          decisions.push({ requestId: request.requestId, outcome: 'deferred', model: null, batchId: null, estimatedTokens: null, predictedQuality: null, reason: null, deferUntilMs: deferUntil });
          continue;
        }
        used.set(window, n + 1);
        const model = Number(request.metadata.line) % 2 === 0 ? 'm/b' : 'm/a';
        routedNow[model]!.push({ ...request, promptTokens: 1, estimatedTokens: 10, predictedQuality: 0.5, predictedCostUsd: 0, score: 0, fallbackRank: 0, dualPrice: 0 } as RoutedBatchV1['requests'][number]);
        decisions.push({ requestId: request.requestId, outcome: 'routed', model, batchId: `b${batchNo}`, estimatedTokens: 10, predictedQuality: 0.5, reason: null, deferUntilMs: null });
      }
      for (const [model, reqs] of Object.entries(routedNow)) {
        if (reqs.length === 0) continue;
        const batch = { batchId: `b${batchNo++}`, model, createdAt: clock.now(), routerInstance: 'fake', policy: 'fake', totalEstimatedTokens: 10 * reqs.length, requests: reqs };
        messages.push({ topic: topics.routedByModel[model as 'm/a']!, key: batch.batchId, value: Buffer.from(JSON.stringify(batch)) });
      }
      return { messages, decisions, processed, pauseUntilMs: null };
    },
    async decode(m: OutputMessage) {
      const v = JSON.parse(m.value.toString()) as Record<string, unknown>;
      if (m.topic === topics.deferred) return { kind: 'deferred' as const, deferred: v as unknown as DeferredV1 };
      if (m.topic === topics.deadLetter) return { kind: 'dead_letter' as const, deadLetter: { ...v, originalKey: Buffer.from(String(v.originalKey)) } as never };
      return { kind: 'routed' as const, batch: v as unknown as RoutedBatchV1 };
    },
    async close() {},
  };
  return engine;
}

function source(text: string): JobSource {
  return { format: 'jsonl', sizeBytes: text.length, bytesRead: () => 0, records: () => readJsonl(Readable.from([text])) };
}

async function jsonl<T>(path: string): Promise<T[]> {
  return (await readFile(path, 'utf8')).trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as T);
}

describe('routeFile (file mode)', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('routes every good line once, deferring past full windows in virtual time, and writes batches, decisions and dead letters', async () => {
    dir = await mkdtemp(join(tmpdir(), 'route-'));
    const lines = Array.from({ length: 25 }, (_, i) => (i === 4 ? '{bad json' : i === 9 ? JSON.stringify({ prompt: 'poison' }) : JSON.stringify({ prompt: `q${i + 1}` })));
    const clock = new VirtualClock(10 * MINUTE);
    const engine = fakeEngine(clock, 10);
    const bad: number[] = [];
    const s = await routeFile({
      engine,
      source: source(`${lines.join('\n')}\n`),
      outDir: dir,
      jobId: 'j',
      tenant: 't',
      defaults: { maxOutputTokens: 16, priority: 0 },
      sliceRequests: 6,
      keepBadLines: 10,
      clock,
      onBadLine: (b) => bad.push(b.lineNo),
    });
    expect(bad).toEqual([5]);
    expect(s).toMatchObject({ linesRead: 25, badLines: 1, requests: 24, routed: 23, deadLettered: 1, rejected: 0 });
    // 23 routable requests at 10 per window: windows 10, 11 and 12 (minutes).
    expect(s.virtualSpanMs).toBe(2 * MINUTE);
    expect(s.minuteWindows).toBe(3);
    expect(s.deferrals).toBeGreaterThanOrEqual(13);

    const files = await readdir(join(dir, 'batches'));
    expect(files.sort()).toEqual(['m_a.jsonl', 'm_b.jsonl']);
    const routedIds = [...(await jsonl<RoutedBatchV1>(join(dir, 'batches', 'm_a.jsonl'))), ...(await jsonl<RoutedBatchV1>(join(dir, 'batches', 'm_b.jsonl')))].flatMap((b) => b.requests.map((r) => r.requestId));
    const expected = Array.from({ length: 25 }, (_, i) => i + 1).filter((n) => n !== 5 && n !== 10).map((n) => `j-L${n}`);
    expect(routedIds.sort()).toEqual(expected.sort());
    expect(s.perModel['m/a']!.requests + s.perModel['m/b']!.requests).toBe(23);

    const decisions = await jsonl<{ requestId: string; outcome: string }>(join(dir, 'decisions.jsonl'));
    const last = new Map(decisions.map((d) => [d.requestId, d.outcome]));
    expect([...last.values()].every((o) => o === 'routed')).toBe(true);
    expect(last.size).toBe(23);
    const dl = await jsonl<{ requestId: string; reason: string }>(join(dir, 'dead-letters.jsonl'));
    expect(dl).toEqual([expect.objectContaining({ requestId: 'j-L10', reason: 'invalid_field' })]);
    expect(JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8'))).toMatchObject({ routed: 23 });
  });
});
