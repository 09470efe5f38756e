// The asynchronous half of a slice: decode, validate, then embed/search/estimate in the
// scoring workers; the result is in priority order and ready for the synchronous decide.
// A deferred record that is not due yet ends the slice (its partition pauses).
import type { DeadLetterReason, RequestV3 } from '@switchyard/contracts';
import { SliceOutput } from './outputs.ts';
import { ALL_MODELS_FAILED, allModelsFailedMessage, isRerouted, rerouteVerdict } from './reroute.ts';
import type { EngineParts } from './parts.ts';
import type { ScoreTask } from './scoring-task.ts';
import { emptyStats } from './slice.ts';
import { forgedTenant } from './tenancy.ts';
import type { Candidate, InputRecord, PreparedSlice, Scored, SliceStats } from './slice.ts';

export async function prepareSlice(p: EngineParts, records: readonly InputRecord[]): Promise<PreparedSlice> {
  const out = new SliceOutput(p, [], [], emptyStats());
  const { candidates, processed, pauseUntilMs } = await readRecords(p, records, out);
  out.stats.consumed = processed;
  const { scored, version } = await scoreCandidates(p, candidates, out.stats);
  const admitted: Scored[] = [];
  for (const s of scored) {
    if (s.promptTokens > p.config.router.maxPromptTokens) {
      out.deadLetter(s.record, 'oversized_prompt', `prompt has ${s.promptTokens} tokens, limit ${p.config.router.maxPromptTokens}`);
    } else {
      admitted.push(s);
    }
  }
  // Higher priority first, so under a tight window the urgent requests get the budget; ties
  // keep log order.
  admitted.sort((a, b) => b.request.priority - a.request.priority || a.order - b.order);
  return { records, admitted, version, messages: out.messages, decisions: out.decisions, processed, pauseUntilMs, stats: out.stats };
}

async function readRecords(
  p: EngineParts,
  records: readonly InputRecord[],
  out: SliceOutput,
): Promise<{ candidates: Candidate[]; processed: number; pauseUntilMs: number | null }> {
  const candidates: Candidate[] = [];
  let processed = 0;
  let pauseUntilMs: number | null = null;
  for (const record of records) {
    if (record.topic === p.config.topics.deferred) {
      const decoded = await p.deferredSerde.decode(record.value);
      if (!decoded.ok) {
        out.deadLetter(record, decoded.reason, decoded.detail);
      } else if (decoded.value.deferUntil > p.clock()) {
        pauseUntilMs = decoded.value.deferUntil;
        break;
      } else {
        const rejected = admit(p, record, decoded.value.request, decoded.value.attempts, candidates, out);
        // It was decided once (deferred): its decision row must not stay "deferred" forever;
        // unless its ids cannot be stored at all (NUL, refused since it was deferred), as
        // writing them would fail the slice on every retry.
        if (rejected !== null && storableIds(decoded.value.request)) out.decisions.push(out.row(out.base(record, decoded.value.request, 0, decoded.value.attempts, '', p.clock()), 'rejected', rejected));
      }
    } else {
      const decoded = await p.requestSerde.decode(record.value);
      const forged = decoded.ok ? forgedTenant(p.config.tenancy.tenantByTopic, record.topic, decoded.value.tenant) : null;
      if (!decoded.ok) {
        out.deadLetter(record, decoded.reason, decoded.detail);
      } else if (forged !== null) {
        out.deadLetter(record, 'tenant_mismatch', forged);
      } else {
        const rejected = admit(p, record, decoded.value, 0, candidates, out);
        // A well-formed request that arrives after its deadline is a routing decision
        // (rejected), not a malformed event: it gets its decision row like any other.
        if (rejected === 'deadline_passed') out.decisions.push(out.row(out.base(record, decoded.value, 0, 0, '', p.clock()), 'rejected', rejected));
      }
    }
    processed += 1;
  }
  return { candidates, processed, pauseUntilMs };
}

function admit(p: EngineParts, record: InputRecord, value: RequestV3, deferrals: number, into: Candidate[], out: SliceOutput): DeadLetterReason | null {
  const v = p.validate(value, p.clock());
  // A request handed back by an executor passed validation when it was first routed; its
  // deadline may have passed since: it already ran, so it ends with an outcome (results list it).
  if (!v.ok && v.reason === 'deadline_passed' && isRerouted(value)) return endRerouted(p, out, record, value, deferrals, `its deadline passed (${v.detail})`);
  if (!v.ok) {
    out.deadLetter(record, v.reason, v.detail);
    return v.reason;
  }
  const reroute = rerouteVerdict(p.modelNames, p.config.router.maxModelAttempts, v.value);
  // Handed back by an executor and nowhere left to go.
  if (reroute.kind === 'fail') return endRerouted(p, out, record, v.value, deferrals, reroute.why);
  into.push({ record, request: reroute.request, deferrals, order: into.length });
  return null;
}

/** A rerouted request ends as an error outcome, committed with this slice (its decision row says why). */
function endRerouted(p: EngineParts, out: SliceOutput, record: InputRecord, request: RequestV3, deferrals: number, why: string): null {
  const nowMs = p.clock();
  out.messages.push(allModelsFailedMessage(p, request, why, nowMs));
  out.decisions.push(out.row(out.base(record, request, 0, deferrals, '', nowMs), 'rejected', ALL_MODELS_FAILED));
  out.stats.allModelsFailed += 1;
  p.feedback?.released?.(request.requestId);
  return null;
}

/** Scores in the worker pool, chunk by chunk (the pool bounds how many run at once). */
async function scoreCandidates(p: EngineParts, candidates: readonly Candidate[], stats: SliceStats): Promise<{ scored: Scored[]; version: number }> {
  const M = p.config.models.length;
  const dim = p.embeddingDim;
  const chunks: Candidate[][] = [];
  for (let i = 0; i < candidates.length; i += p.chunkRequests) chunks.push(candidates.slice(i, i + p.chunkRequests));
  const bounds = exactBoundsOf(p);
  const policy = await p.policies.current(p.clock());
  const pricing = policy.pricing();
  const results = await Promise.all(
    chunks.map(async (chunk) => {
      const task = taskOf(chunk, dim, pricing, bounds);
      // The task's arrays move to the worker; what adjust needs is copied first.
      const fb = p.feedback ? { maxOutputTokens: Int32Array.from(task.maxOutputTokens), prices: Float32Array.from(task.prices) } : null;
      const t0 = performance.now();
      const r = await p.score(task);
      stats.scoringMs.push(performance.now() - t0);
      let raw: { quality: Float64Array; costUsd: Float64Array; outputTokens: Float64Array } | null = null;
      if (p.feedback && fb !== null) {
        raw = { quality: Float64Array.from(r.quality), costUsd: Float64Array.from(r.costUsd), outputTokens: Float64Array.from(r.expectedOutputTokens) };
        p.feedback.adjust(r, { maxOutputTokens: fb.maxOutputTokens, alpha: pricing.alpha, prices: fb.prices });
      }
      return { chunk, r, raw };
    }),
  );
  const out: Scored[] = [];
  for (const { chunk, r, raw } of results) {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      const from = i * M;
      const to = from + M;
      out.push({
        record: c.record,
        request: c.request,
        deferrals: c.deferrals,
        order: c.order,
        promptTokens: r.promptTokens[i]!,
        quality: r.quality.subarray(from, to),
        costUsd: r.costUsd.subarray(from, to),
        estimatedTokens: r.estimatedTokens.subarray(from, to),
        kernelScores: r.scores.subarray(from, to),
        feedback:
          raw === null
            ? null
            : { embedding: r.embeddings.subarray(i * dim, (i + 1) * dim), quality: raw.quality.subarray(from, to), costUsd: raw.costUsd.subarray(from, to), outputTokens: raw.outputTokens.subarray(from, to) },
      });
    }
  }
  return { scored: out, version: pricing.version };
}

/** Where a prompt's token count can decide something: the prompt limit and the smallest batch bound. */
function exactBoundsOf(p: EngineParts): { readonly exactTokensAbove: number; readonly exactRequestAbove: number } {
  if (p.promptTokens === 'exact') return { exactTokensAbove: -1, exactRequestAbove: -1 };
  let minBatch = Number.POSITIVE_INFINITY;
  for (const m of p.config.models) minBatch = Math.min(minBatch, m.maxBatchTokens);
  return { exactTokensAbove: p.config.router.maxPromptTokens, exactRequestAbove: minBatch };
}

function taskOf(
  chunk: readonly Candidate[],
  dim: number,
  pricing: { readonly alpha: number; readonly prices: ArrayLike<number> },
  bounds: { readonly exactTokensAbove: number; readonly exactRequestAbove: number },
): ScoreTask {
  const n = chunk.length;
  const embeddings = new Float32Array(n * dim);
  const hasEmbedding = new Uint8Array(n);
  chunk.forEach((c, i) => {
    if (c.request.embedding !== null) {
      embeddings.set(c.request.embedding, i * dim);
      hasEmbedding[i] = 1;
    }
  });
  return {
    n,
    prompts: chunk.map((c) => c.request.prompt),
    embeddings,
    hasEmbedding,
    promptTokens: Int32Array.from(chunk, (c) => c.request.promptTokens ?? -1),
    maxOutputTokens: Int32Array.from(chunk, (c) => c.request.maxOutputTokens),
    exactTokensAbove: bounds.exactTokensAbove,
    exactRequestAbove: bounds.exactRequestAbove,
    alpha: pricing.alpha,
    prices: Float32Array.from(pricing.prices),
  };
}

/** Postgres text cannot hold NUL; such ids are refused before routing but may sit in the deferred topic. */
function storableIds(r: RequestV3): boolean {
  return !r.requestId.includes('\u0000') && !r.jobId.includes('\u0000') && !r.tenant.includes('\u0000');
}
