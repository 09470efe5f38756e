// The synchronous half of a slice: policy scores and first choice, budget windows (route to
// the first ranked model with budget / defer to the earliest reset / reject), token-bounded
// batches, drain. Partial batches are drained at the end of every slice because the offsets
// of their requests commit in this slice's transaction; holding them for a later slice would
// lose them on a crash. `flushDue` (flushIntervalMs) seals batches that aged while a long
// slice was still being decided.
import type { DeadLetterReason, DeferReason, DeferredV3 } from '@switchyard/contracts';
import { BatchPacker, estimateBatchOf, rankModels, routeWithinBudget } from '@switchyard/routing-core';
import type { BudgetRejectReason, Decision, PackedBatch, RankedCandidate, RescheduleDecision, RoutingPolicy, ScoreKernel } from '@switchyard/routing-core';
import { TsScoringBackend } from '@switchyard/scoring';
import { emitBatch } from './batches.ts';
import type { BatchContext, RoutedItem } from './batches.ts';
import { SliceOutput } from './outputs.ts';
import type { RowBase } from './outputs.ts';
import type { EngineParts } from './parts.ts';
import { ALL_MODELS_FAILED, allModelsFailedMessage, isRerouted } from './reroute.ts';
import type { PreparedSlice, Scored, SliceResult } from './slice.ts';
import type { UsdRouting } from './usd.ts';

const MINUTE_MS = 60_000;

/** The slice's decision time and the policy in force then (read by the shell under its budget lock). */
export interface DecideContext {
  readonly nowMs: number;
  readonly policy: RoutingPolicy;
  /** The dollar gate's verdicts by request id (absent: no request of the slice has a dollar budget). */
  readonly usd?: ReadonlyMap<string, UsdRouting>;
}

interface Step {
  readonly p: EngineParts;
  readonly out: SliceOutput;
  readonly packer: BatchPacker<RoutedItem>;
  readonly policy: RoutingPolicy;
  readonly nowMs: number;
  /** The policy's prices when the slice's decisions began (dual prices of routed requests). */
  readonly prices: ArrayLike<number>;
  readonly emit: (batches: readonly PackedBatch<RoutedItem>[]) => void;
  readonly usd: ReadonlyMap<string, UsdRouting> | undefined;
  /** When flushDue last ran: sealing by age is checked at most once per clock millisecond. */
  flushCheckedAtMs: number;
}

const tsKernel = new TsScoringBackend();

export function decideSlice(p: EngineParts, prepared: PreparedSlice, ctx: DecideContext): SliceResult {
  const { policy, nowMs } = ctx;
  const stats = { ...prepared.stats, routedByModel: new Map(prepared.stats.routedByModel), deadLetters: new Map(prepared.stats.deadLetters), batches: [...prepared.stats.batches], scoringMs: [...prepared.stats.scoringMs] };
  const out = new SliceOutput(p, [...prepared.messages], [...prepared.decisions], stats);
  const cfg = p.config;
  const limits = Object.fromEntries(
    cfg.models.map((m) => [m.name, { maxBatchTokens: m.maxBatchTokens, maxBatchRequests: m.maxBatchRequests, flushIntervalMs: cfg.batching.flushIntervalMs }]),
  );
  const packer = new BatchPacker<RoutedItem>(limits);
  const first = prepared.records[0];
  const batchCtx: BatchContext = { sliceId: first === undefined ? `${nowMs}` : `${first.topic}-${first.partition}-${first.offset}`, nowMs, policyName: policy.name };
  const emit = (batches: readonly PackedBatch<RoutedItem>[]): void => {
    for (const b of batches) emitBatch(p, out, b, batchCtx);
  };
  const decided = policyScores(prepared.admitted, policy, prepared.version, cfg.models.length);
  // Read after chooseBatch, which may have re-solved the prices.
  const step: Step = { p, out, packer, policy, nowMs, prices: policy.pricing().prices, emit, usd: ctx.usd, flushCheckedAtMs: Number.NEGATIVE_INFINITY };
  prepared.admitted.forEach((s, i) => decideOne(step, s, decided[i]!));
  emit(packer.drain());
  return { messages: out.messages, decisions: out.decisions, processed: prepared.processed, pauseUntilMs: prepared.pauseUntilMs, stats: out.stats };
}

function decideOne(step: Step, s: Scored, decision: Decision): void {
  const { p, out, policy, nowMs } = step;
  // The workers' scores are a view of their result buffer, which nothing writes after adjust.
  const scores = decision.kind === 'route' ? decision.scores : s.kernelScores;
  const order = rankModels(scores);
  const usd = step.usd?.get(s.request.requestId);
  const candidates = candidatesOf(p, s, decision, order, usd?.kind === 'route' ? usd.model : null);
  // Rows of requests that are not routed (rare) are built only when needed.
  const base = (): RowBase => ({ ...out.base(s.record, s.request, s.promptTokens, s.deferrals, policy.name, nowMs), scores: Array.from(scores) });
  if (usd !== undefined && usd.kind !== 'route') {
    if (decision.kind === 'route') policy.recordLost({ model: decision.model, reservedCost: decision.reservedCost });
    if (usd.kind === 'defer') return deferOne(step, s, { untilMs: nowMs + p.config.router.deferDelayMs, reason: usd.reason, detail: usd.detail }, base());
    if (usd.kind === 'reject') {
      if (isRerouted(s.request)) return endRerouted(step, s, `the models left cannot take it: ${usd.detail}`, base());
      out.deadLetter(s.record, usd.reason, usd.detail);
      out.decisions.push(out.row(base(), 'rejected', usd.reason));
    }
    return;
  }
  const { ranked, models, oversized } = candidates;
  if (ranked.length === 0) {
    if (decision.kind === 'route') policy.recordLost({ model: decision.model, reservedCost: decision.reservedCost });
    const reason: DeadLetterReason = oversized ? 'no_feasible_model' : 'unknown_model';
    const detail = oversized ? 'the request is larger than every allowed model\'s maxBatchTokens' : 'no allowed model is configured';
    if (isRerouted(s.request)) return endRerouted(step, s, `no model left can take it: ${detail}`, base());
    out.deadLetter(s.record, reason, detail);
    out.decisions.push(out.row(base(), 'rejected', reason));
    return;
  }
  const r: RescheduleDecision = routeWithinBudget(p.ledger, { ranked, tenant: s.request.tenant, jobId: s.request.jobId, deadlineMs: s.request.deadline, nowMs });
  // The policy charged its own budget view for its first choice; give that back unless the
  // request really went there, so its dual prices follow what was actually routed.
  const m = r.kind === 'route' ? models[r.fallbackRank]! : -1;
  if (decision.kind === 'route' && decision.model !== m) {
    policy.recordLost({ model: decision.model, reservedCost: decision.reservedCost });
  }
  if (r.kind === 'route') return routeOne(step, s, decision, r, { m, order, scores, base });
  if (r.kind === 'defer') return deferOne(step, s, tokenDeferral(p, r), base());
  if (isRerouted(s.request)) return endRerouted(step, s, `no model left can take it: ${r.detail}`, base());
  const reason = rejectToDeadLetter(r.reason);
  out.deadLetter(s.record, reason, r.detail);
  out.decisions.push(out.row(base(), 'rejected', r.reason));
}

/**
 * A request some model failed permanently that the models left cannot take (too small, no
 * budget ever): it already ran, so it ends with an error outcome (results list it) rather than
 * a dead letter, as when no model is left at all (reroute.ts).
 */
function endRerouted(step: Step, s: Scored, why: string, base: RowBase): void {
  const { p, out, nowMs } = step;
  out.messages.push(allModelsFailedMessage(p, s.request, why, nowMs));
  out.decisions.push(out.row(base, 'rejected', ALL_MODELS_FAILED));
  out.stats.allModelsFailed += 1;
  p.feedback?.released?.(s.request.requestId);
}

interface RouteChoice {
  /** Index of the model routed to. */
  readonly m: number;
  /** Model indices by score, best first. */
  readonly order: Int32Array;
  readonly scores: Float64Array;
  readonly base: () => RowBase;
}

function routeOne(step: Step, s: Scored, decision: Decision, r: Extract<RescheduleDecision, { kind: 'route' }>, c: RouteChoice): void {
  const { p, out, packer, policy } = step;
  const { m, scores } = c;
  const fallbackRank = c.order.indexOf(m);
  const usdPerToken = p.usdPerToken[m] ?? Number.NaN;
  const dualPrice = Number.isFinite(usdPerToken) ? step.prices[m]! * usdPerToken : 0;
  const res = packer.add(r.model, { requestId: s.request.requestId, tokens: r.estimatedTokens, value: { scored: s, model: m, fallbackRank, scores, dualPrice } }, p.clock());
  if (!res.ok) {
    // Cannot happen: candidates above maxBatchTokens were filtered out. Give the budget
    // back and dead-letter rather than lose the request if it ever does.
    p.ledger.release(r.reservation);
    out.deadLetter(s.record, 'processing_failed', `batching refused the request: ${res.detail}`);
    out.decisions.push(out.row(c.base(), 'rejected', 'processing_failed'));
    return;
  }
  // The policy reserved its estimate for this request: feedback settles that reservation
  // with the observed cost when the outcome comes back.
  if (decision.kind === 'route' && decision.model === m) p.feedback?.reserved?.(s.request.requestId, { policy, model: m, reservedCost: decision.reservedCost });
  if (res.emitted.length > 0) step.emit(res.emitted);
  // Same clock as `add`: a batch is sealed by age only after it has really been open
  // for flushIntervalMs (budget windows stay those of the slice's decision time).
  const now = p.clock();
  if (now !== step.flushCheckedAtMs) {
    step.flushCheckedAtMs = now;
    step.emit(packer.flushDue(now));
  }
}

interface Deferral {
  readonly untilMs: number;
  readonly reason: DeferReason;
  readonly detail: string;
}

/** A token-budget deferral: until the blocking window resets, named after that window. */
function tokenDeferral(p: EngineParts, r: Extract<RescheduleDecision, { kind: 'defer' }>): Deferral {
  const blocking = r.skipped.find((k) => k.retryAtMs === r.untilMs);
  const rule = blocking === undefined ? undefined : p.ledger.rules.find((x) => x.id === blocking.ruleId);
  const reason: DeferReason = rule !== undefined && rule.windowMs <= MINUTE_MS ? 'rate_limited' : 'budget_exhausted';
  return { untilMs: r.untilMs, reason, detail: r.skipped.map((k) => `${k.model}: ${k.reason} (${k.ruleId})`).join('; ') };
}

function deferOne(step: Step, s: Scored, d: Deferral, base: RowBase): void {
  const { p, out, nowMs } = step;
  const cfg = p.config;
  const attempts = s.deferrals + 1;
  if (attempts > cfg.router.maxDeferrals) {
    if (isRerouted(s.request)) return endRerouted(step, s, `deferred ${s.deferrals} times already (router.maxDeferrals): ${d.detail}`.slice(0, 500), base);
    out.deadLetter(s.record, 'max_deferrals_exceeded', `deferred ${s.deferrals} times already`);
    out.decisions.push(out.row(base, 'rejected', 'max_deferrals_exceeded'));
    return;
  }
  const untilMs = Math.min(d.untilMs, nowMs + cfg.router.deferDelayMs);
  const deferred: DeferredV3 = {
    request: s.request,
    deferUntil: untilMs,
    reason: d.reason,
    detail: d.detail.slice(0, 2_000),
    attempts,
    deferredAt: nowMs,
  };
  out.messages.push({ topic: cfg.topics.deferred, key: s.request.requestId, value: p.deferredSerde.encode(deferred) });
  out.stats.deferred += 1;
  out.decisions.push({ ...out.row(base, 'deferred', d.reason), deferUntilMs: untilMs, deferrals: attempts });
}

/**
 * Models this request may go to, best first (the policy's choice first), with their token
 * estimates and model indices; `only`: the one model a dollar reservation allows.
 */
function candidatesOf(p: EngineParts, s: Scored, decision: Decision, order: Int32Array, only: string | null): { ranked: RankedCandidate[]; models: number[]; oversized: boolean } {
  const allowed = s.request.allowedModels;
  const ranked: RankedCandidate[] = [];
  const models: number[] = [];
  let oversized = false;
  const first = decision.kind === 'route' ? decision.model : -1;
  for (let k = -1; k < order.length; k++) {
    const m = k < 0 ? first : order[k]!;
    if (m < 0 || (k >= 0 && m === first)) continue;
    const model = p.config.models[m]!;
    if (allowed !== null && !allowed.includes(model.name)) continue;
    const tokens = s.estimatedTokens[m]!;
    if (tokens > model.maxBatchTokens) {
      oversized = true;
      continue;
    }
    if (only !== null && model.name !== only) continue;
    ranked.push({ model: model.name, estimatedTokens: tokens });
    models.push(m);
  }
  return { ranked, models, oversized };
}

function policyScores(admitted: readonly Scored[], policy: RoutingPolicy, version: number, M: number): Decision[] {
  const n = admitted.length;
  if (n === 0) return [];
  const quality = new Float64Array(n * M);
  const cost = new Float64Array(n * M);
  const precomputed = new Float32Array(n * M);
  admitted.forEach((s, i) => {
    quality.set(s.quality, i * M);
    cost.set(s.costUsd, i * M);
    precomputed.set(s.kernelScores, i * M);
  });
  const batch = estimateBatchOf(M, quality, cost);
  // The workers scored under the price snapshot of `version`; while the policy still prices
  // with it those scores are used as they are, and rows after a re-solve are re-scored here.
  const kernel: ScoreKernel = (input) => {
    if (policy.pricing().version === version) {
      const from = n - input.nQueries;
      const scores = precomputed.subarray(from * M, n * M);
      const best = new Int32Array(input.nQueries);
      return { scores, best };
    }
    return tsKernel.scoreBatch({ ...input });
  };
  return policy.chooseBatch(batch, kernel);
}

function rejectToDeadLetter(reason: BudgetRejectReason): DeadLetterReason {
  return reason === 'no_budget' ? 'no_feasible_model' : 'deadline_passed';
}
