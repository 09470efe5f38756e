// The transform of consume-transform-produce: one fetched slice of one input partition in,
// everything that must be written in the same Kafka transaction out (routed batches, deferred
// requests, dead letters) plus the decision rows for Postgres. No Kafka or Postgres here: the
// serdes, the scoring pool, the shared budget store and the clock are passed in.
//
// Order of operations per slice:
//   decode -> validate -> (dead letters) -> score in workers -> prompt-token limit ->
//   priority order -> [lease budgets] -> policy scores + first choice -> budget windows
//   (route to first ranked model with budget / defer to the earliest reset / reject) ->
//   token-bounded batches -> drain.
// Partial batches are drained at the end of every slice because the offsets of their requests
// commit in this slice's transaction; holding them for a later slice would lose them on a
// crash. Under load a fetched slice holds up to `fetchMaxBytesPerPartition` of requests, so
// batches fill by size; `flushDue` (flushIntervalMs) seals batches that aged while a long
// slice was still being decided.
import type { AvroSerde, DeadLetterReason, DeadLetterV1, DeferReason, DeferredV2, HeaderV1, RequestV2, RequestValidator, RoutedBatchV2, RoutedRequestV2 } from '@switchyard/contracts';
import type { SwitchyardConfig } from '@switchyard/config';
import { BatchPacker, WindowBudgetLedger, estimateBatchOf, rankModels, routeWithinBudget, windowStartOf } from '@switchyard/routing-core';
import type { BudgetRejectReason, Decision, PackedBatch, RankedCandidate, RescheduleDecision, RoutingPolicy, ScoreKernel } from '@switchyard/routing-core';
import { TsScoringBackend } from '@switchyard/scoring';
import type { DecisionOutcomeKind, DecisionRecord } from '@switchyard/store';
import type { FeedbackHooks } from './feedback.ts';
import type { PolicyHolder } from './policy-holder.ts';
import type { ScoreResult, ScoreTask } from './scoring-task.ts';
import { Semaphore } from './semaphore.ts';

export interface InputRecord {
  readonly topic: string;
  readonly partition: number;
  /** Kafka offsets are int64; kept as the decimal string kafkajs gives. */
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly HeaderV1[];
}

export interface OutputMessage {
  readonly topic: string;
  readonly key: Buffer | string | null;
  readonly value: Buffer;
}

/** One row of the `decisions` table: the store's record, so the two cannot drift apart. */
export type DecisionRow = DecisionRecord;
export type DecisionOutcome = DecisionOutcomeKind;

/** A window lease request/return for the shared budget store (postgres ledger mode). */
export interface LeaseItem {
  readonly ruleId: string;
  readonly subject: string;
  readonly windowStartMs: number;
  readonly windowMs: number;
  readonly limitTokens: number;
  readonly tokens: number;
}

export interface BudgetStorePort {
  /** Grants up to `tokens` per item from the shared windows; returns the granted amounts. */
  acquire(items: readonly LeaseItem[]): Promise<number[]>;
  /** Returns unused grants. */
  release(items: readonly LeaseItem[]): Promise<void>;
}

export interface StepStats {
  consumed: number;
  routedByModel: Map<string, number>;
  deferred: number;
  deadLetters: Map<DeadLetterReason, number>;
  batches: { model: string; requests: number; tokens: number }[];
  scoringMs: number[];
}

export interface StepResult {
  readonly messages: OutputMessage[];
  readonly decisions: DecisionRow[];
  /** How many input records were handled; the rest (a deferred record not yet due) stay unread. */
  readonly processed: number;
  /** When a not-yet-due deferred record stopped the slice: when it becomes due. */
  readonly pauseUntilMs: number | null;
  readonly stats: StepStats;
}

export interface RoutingStepDeps {
  readonly config: SwitchyardConfig;
  readonly requestSerde: AvroSerde<RequestV2>;
  readonly deferredSerde: AvroSerde<DeferredV2>;
  readonly deadLetterSerde: AvroSerde<DeadLetterV1>;
  /** Per routed topic: each has its own `<topic>-value` subject. */
  readonly routedSerdeFor: (model: string) => AvroSerde<RoutedBatchV2>;
  readonly validate: RequestValidator;
  readonly score: (task: ScoreTask) => Promise<ScoreResult>;
  readonly policies: PolicyHolder;
  readonly ledger: WindowBudgetLedger;
  /** null: the ledger is local to this process ('local' mode). */
  readonly budgetStore: BudgetStorePort | null;
  /** Mean USD per token per model, to express dual prices per token. */
  readonly usdPerToken: readonly number[];
  readonly embeddingDim: number;
  readonly chunkRequests: number;
  readonly clock: () => number;
  /** Outcome feedback (adjusted estimates, decision features); absent or null: off. */
  readonly feedback?: FeedbackHooks | null;
}

interface Candidate {
  readonly record: InputRecord;
  readonly request: RequestV2;
  /** Deferrals so far (0 for a request read from the requests topic). */
  readonly deferrals: number;
  readonly order: number;
}

interface Scored extends Candidate {
  readonly promptTokens: number;
  readonly quality: Float64Array;
  readonly costUsd: Float64Array;
  readonly estimatedTokens: Float64Array;
  readonly kernelScores: Float64Array;
  /** With feedback: the unit embedding searched with, and the raw estimates before adjust. */
  readonly feedback: { readonly embedding: Float32Array; readonly quality: Float64Array; readonly costUsd: Float64Array; readonly outputTokens: Float64Array } | null;
}

interface RoutedItem {
  readonly scored: Scored;
  readonly model: number;
  readonly fallbackRank: number;
  readonly scores: Float64Array;
  readonly dualPrice: number;
}

const MINUTE_MS = 60_000;

type RowBase = Omit<DecisionRow, 'outcome' | 'model' | 'batchId' | 'fallbackRank' | 'estimatedTokens' | 'predictedQuality' | 'predictedCostUsd' | 'score' | 'dualPrice' | 'reason' | 'deferUntilMs'>;

function rejectToDeadLetter(reason: BudgetRejectReason): DeadLetterReason {
  return reason === 'no_budget' ? 'no_feasible_model' : 'deadline_passed';
}

export class RoutingStep {
  readonly #d: RoutingStepDeps;
  readonly #models: readonly string[];
  readonly #modelIndex: ReadonlyMap<string, number>;
  readonly #topicOf: readonly string[];
  readonly #budgetMutex = new Semaphore(1);
  readonly #tsKernel = new TsScoringBackend();
  readonly #serviceName: string;

  constructor(deps: RoutingStepDeps) {
    this.#d = deps;
    this.#models = deps.config.models.map((m) => m.name);
    this.#modelIndex = new Map(this.#models.map((m, i) => [m, i]));
    this.#topicOf = this.#models.map((m) => deps.config.topics.routedByModel[m]!);
    this.#serviceName = `router/${deps.config.router.instanceId}`;
  }

  async run(records: readonly InputRecord[]): Promise<StepResult> {
    const d = this.#d;
    const stats: StepStats = { consumed: 0, routedByModel: new Map(), deferred: 0, deadLetters: new Map(), batches: [], scoringMs: [] };
    const messages: OutputMessage[] = [];
    const decisions: DecisionRow[] = [];
    const deadLetter = (record: InputRecord, reason: DeadLetterReason, detail: string): void => {
      stats.deadLetters.set(reason, (stats.deadLetters.get(reason) ?? 0) + 1);
      const dl: DeadLetterV1 = {
        reason,
        detail: detail.slice(0, 4_000),
        sourceTopic: record.topic,
        sourcePartition: record.partition,
        sourceOffset: Number(record.offset),
        originalKey: record.key,
        originalValue: record.value,
        originalHeaders: record.headers,
        failedAt: d.clock(),
        service: this.#serviceName,
      };
      let value = d.deadLetterSerde.encode(dl);
      const limit = d.config.router.maxDeadLetterBytes;
      if (value.length + (record.key?.length ?? 0) > limit && record.value !== null) {
        // The envelope made it too large for the topic: keep everything but the original value,
        // which stays readable at its source offset (until retention).
        const note = `original value (${record.value.length} bytes) left out: the dead letter would exceed router.maxDeadLetterBytes ${limit}; it is at ${record.topic}[${record.partition}]@${record.offset}. `;
        value = d.deadLetterSerde.encode({ ...dl, originalValue: null, detail: (note + dl.detail).slice(0, 4_000) });
      }
      messages.push({ topic: d.config.topics.deadLetter, key: record.key, value });
    };

    // 1. decode + validate; a deferred record not yet due ends the slice (its partition pauses).
    const candidates: Candidate[] = [];
    let processed = 0;
    let pauseUntilMs: number | null = null;
    for (const record of records) {
      if (record.topic === d.config.topics.deferred) {
        const decoded = await d.deferredSerde.decode(record.value);
        if (!decoded.ok) {
          deadLetter(record, decoded.reason, decoded.detail);
        } else if (decoded.value.deferUntil > d.clock()) {
          pauseUntilMs = decoded.value.deferUntil;
          break;
        } else {
          const rejected = this.#admit(record, decoded.value.request, decoded.value.attempts, candidates, deadLetter);
          // It was decided once (deferred): its decision row must not stay "deferred" forever;
          // unless its ids cannot be stored at all (NUL, refused since it was deferred), as
          // writing them would fail the slice on every retry.
          if (rejected !== null && storableIds(decoded.value.request)) decisions.push(this.#row(this.#base(record, decoded.value.request, 0, decoded.value.attempts, '', d.clock()), 'rejected', rejected));
        }
      } else {
        const decoded = await d.requestSerde.decode(record.value);
        if (!decoded.ok) {
          deadLetter(record, decoded.reason, decoded.detail);
        } else {
          const rejected = this.#admit(record, decoded.value, 0, candidates, deadLetter);
          // A well-formed request that arrives after its deadline is a routing decision
          // (rejected), not a malformed event: it gets its decision row like any other.
          if (rejected === 'deadline_passed') decisions.push(this.#row(this.#base(record, decoded.value, 0, 0, '', d.clock()), 'rejected', rejected));
        }
      }
      processed += 1;
    }
    stats.consumed = processed;

    // 2. score in the worker pool, chunk by chunk (the pool bounds how many run at once).
    const { scored, version } = await this.#score(candidates, stats);
    const admitted: Scored[] = [];
    for (const s of scored) {
      if (s.promptTokens > d.config.router.maxPromptTokens) {
        deadLetter(s.record, 'oversized_prompt', `prompt has ${s.promptTokens} tokens, limit ${d.config.router.maxPromptTokens}`);
      } else {
        admitted.push(s);
      }
    }
    // Higher priority first, so under a tight window the urgent requests get the budget; ties
    // keep log order.
    admitted.sort((a, b) => b.request.priority - a.request.priority || a.order - b.order);

    // 3. policy + budgets + batches, serialised across partitions: the ledger and the policy
    //    are shared, and a lease taken for this slice must not be settled by another one.
    await this.#budgetMutex.with(async () => {
      const nowMs = d.clock();
      const policy = await d.policies.current(nowMs);
      const leased = await this.#lease(admitted, nowMs);
      try {
        this.#decide(admitted, policy, version, nowMs, records, messages, decisions, stats, deadLetter);
      } finally {
        await this.#settle(leased);
      }
    });
    return { messages, decisions, processed, pauseUntilMs, stats };
  }

  #admit(
    record: InputRecord,
    value: RequestV2,
    deferrals: number,
    into: Candidate[],
    deadLetter: (r: InputRecord, reason: DeadLetterReason, detail: string) => void,
  ): DeadLetterReason | null {
    const v = this.#d.validate(value, this.#d.clock());
    if (!v.ok) {
      deadLetter(record, v.reason, v.detail);
      return v.reason;
    }
    into.push({ record, request: v.value, deferrals, order: into.length });
    return null;
  }

  async #score(candidates: readonly Candidate[], stats: StepStats): Promise<{ scored: Scored[]; version: number }> {
    const d = this.#d;
    const M = this.#models.length;
    const dim = d.embeddingDim;
    const chunks: Candidate[][] = [];
    for (let i = 0; i < candidates.length; i += d.chunkRequests) chunks.push(candidates.slice(i, i + d.chunkRequests));
    const policy = await d.policies.current(d.clock());
    const pricing = policy.pricing();
    const results = await Promise.all(
      chunks.map(async (chunk) => {
        const n = chunk.length;
        const embeddings = new Float32Array(n * dim);
        const hasEmbedding = new Uint8Array(n);
        chunk.forEach((c, i) => {
          if (c.request.embedding !== null) {
            embeddings.set(c.request.embedding, i * dim);
            hasEmbedding[i] = 1;
          }
        });
        const task: ScoreTask = {
          n,
          prompts: chunk.map((c) => c.request.prompt),
          embeddings,
          hasEmbedding,
          promptTokens: Int32Array.from(chunk, (c) => c.request.promptTokens ?? -1),
          maxOutputTokens: Int32Array.from(chunk, (c) => c.request.maxOutputTokens),
          alpha: pricing.alpha,
          prices: Float32Array.from(pricing.prices),
        };
        // The task's arrays move to the worker; what adjust needs is copied first.
        const fb = d.feedback ? { maxOutputTokens: Int32Array.from(task.maxOutputTokens), prices: Float32Array.from(task.prices) } : null;
        const t0 = performance.now();
        const r = await d.score(task);
        stats.scoringMs.push(performance.now() - t0);
        let raw: { quality: Float64Array; costUsd: Float64Array; outputTokens: Float64Array } | null = null;
        if (d.feedback && fb !== null) {
          raw = { quality: Float64Array.from(r.quality), costUsd: Float64Array.from(r.costUsd), outputTokens: Float64Array.from(r.expectedOutputTokens) };
          d.feedback.adjust(r, { maxOutputTokens: fb.maxOutputTokens, alpha: pricing.alpha, prices: fb.prices });
        }
        return { chunk, r, raw, version: pricing.version };
      }),
    );
    const out: Scored[] = [];
    for (const { chunk, r, raw } of results) {
      chunk.forEach((c, i) => {
        const cells = (a: Float64Array): Float64Array => a.subarray(i * M, (i + 1) * M);
        out.push({
          ...c,
          promptTokens: r.promptTokens[i]!,
          quality: r.quality.subarray(i * M, (i + 1) * M),
          costUsd: r.costUsd.subarray(i * M, (i + 1) * M),
          estimatedTokens: r.estimatedTokens.subarray(i * M, (i + 1) * M),
          kernelScores: r.scores.subarray(i * M, (i + 1) * M),
          feedback:
            raw === null
              ? null
              : { embedding: r.embeddings.subarray(i * dim, (i + 1) * dim), quality: cells(raw.quality), costUsd: cells(raw.costUsd), outputTokens: cells(raw.outputTokens) },
        });
      });
    }
    return { scored: out, version: pricing.version };
  }

  /** Models this request may go to, best first, with their token estimates. */
  #candidates(s: Scored, decision: Decision, scores: Float64Array): { ranked: RankedCandidate[]; oversized: boolean } {
    const d = this.#d;
    const allowed = s.request.allowedModels === null ? null : new Set(s.request.allowedModels);
    const order = Array.from(rankModels(scores));
    if (decision.kind === 'route') {
      order.splice(order.indexOf(decision.model), 1);
      order.unshift(decision.model);
    }
    const ranked: RankedCandidate[] = [];
    let oversized = false;
    for (const m of order) {
      const name = this.#models[m]!;
      if (allowed !== null && !allowed.has(name)) continue;
      const tokens = s.estimatedTokens[m]!;
      if (tokens > d.config.models[m]!.maxBatchTokens) {
        oversized = true;
        continue;
      }
      ranked.push({ model: name, estimatedTokens: tokens });
    }
    return { ranked, oversized };
  }

  async #lease(admitted: readonly Scored[], nowMs: number): Promise<LeaseItem[]> {
    const d = this.#d;
    if (d.budgetStore === null || admitted.length === 0) return [];
    // Demand per window: a model window may see each request's tokens on that model; a tenant
    // or job window at most each request's largest estimate (a request takes one model).
    const demand = new Map<string, LeaseItem>();
    const add = (ruleId: string, subject: string, windowMs: number, limitTokens: number, tokens: number): void => {
      const windowStartMs = windowStartOf(nowMs, windowMs);
      const key = `${ruleId}|${subject}|${windowStartMs}`;
      const prev = demand.get(key);
      demand.set(key, { ruleId, subject, windowStartMs, windowMs, limitTokens, tokens: Math.min(limitTokens, (prev?.tokens ?? 0) + tokens) });
    };
    for (const s of admitted) {
      let largest = 0;
      for (let m = 0; m < this.#models.length; m++) {
        const model = this.#models[m]!;
        if (s.request.allowedModels !== null && !s.request.allowedModels.includes(model)) continue;
        const t = s.estimatedTokens[m]!;
        largest = Math.max(largest, t);
        for (const { rule, subject } of d.ledger.rulesFor({ model, tenant: s.request.tenant, jobId: s.request.jobId })) {
          if (rule.scope.kind === 'model') add(rule.id, subject, rule.windowMs, rule.limitTokens, t);
        }
      }
      for (const { rule, subject } of d.ledger.rulesFor({ model: '', tenant: s.request.tenant, jobId: s.request.jobId })) {
        if (rule.scope.kind !== 'model') add(rule.id, subject, rule.windowMs, rule.limitTokens, largest);
      }
    }
    const items = [...demand.values()];
    const granted = await d.budgetStore.acquire(items);
    items.forEach((item, i) => d.ledger.grant(item.ruleId, item.subject, item.windowStartMs, granted[i] ?? 0));
    return items;
  }

  async #settle(leased: readonly LeaseItem[]): Promise<void> {
    const d = this.#d;
    if (d.budgetStore === null || leased.length === 0) return;
    const surplusOf = new Map<string, number>();
    for (const s of d.ledger.settle()) surplusOf.set(s.key, s.surplusTokens);
    // Every lease taken is settled, those with nothing to give back too: an owned lease stays
    // on record (reclaimable after a crash) until its slice settles it.
    await d.budgetStore.release(leased.map((l) => ({ ...l, tokens: surplusOf.get(`${l.ruleId}|${l.subject}|${l.windowStartMs}`) ?? 0 })));
  }

  #policyScores(admitted: readonly Scored[], policy: RoutingPolicy, version: number): Decision[] {
    const M = this.#models.length;
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
    const tsKernel = this.#tsKernel;
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

  #decide(
    admitted: readonly Scored[],
    policy: RoutingPolicy,
    version: number,
    nowMs: number,
    records: readonly InputRecord[],
    messages: OutputMessage[],
    decisions: DecisionRow[],
    stats: StepStats,
    deadLetter: (r: InputRecord, reason: DeadLetterReason, detail: string) => void,
  ): void {
    const d = this.#d;
    const cfg = d.config;
    const limits = Object.fromEntries(
      cfg.models.map((m) => [m.name, { maxBatchTokens: m.maxBatchTokens, maxBatchRequests: m.maxBatchRequests, flushIntervalMs: cfg.batching.flushIntervalMs }]),
    );
    const packer = new BatchPacker<RoutedItem>(limits);
    const first = records[0];
    const sliceId = first === undefined ? `${nowMs}` : `${first.topic}-${first.partition}-${first.offset}`;
    const emit = (batches: readonly PackedBatch<RoutedItem>[]): void => {
      for (const b of batches) this.#emitBatch(b, sliceId, nowMs, policy.name, messages, decisions, stats);
    };
    const decided = this.#policyScores(admitted, policy, version);
    const pricing = policy.pricing();
    admitted.forEach((s, i) => {
      const decision = decided[i]!;
      const scores = decision.kind === 'route' ? decision.scores : Float64Array.from(s.kernelScores);
      const { ranked, oversized } = this.#candidates(s, decision, scores);
      const base = { ...this.#base(s.record, s.request, s.promptTokens, s.deferrals, policy.name, nowMs), scores: Array.from(scores) };
      if (ranked.length === 0) {
        if (decision.kind === 'route') policy.recordLost({ model: decision.model, reservedCost: decision.reservedCost });
        const reason: DeadLetterReason = oversized ? 'no_feasible_model' : 'unknown_model';
        const detail = oversized ? 'the request is larger than every allowed model\'s maxBatchTokens' : 'no allowed model is configured';
        deadLetter(s.record, reason, detail);
        decisions.push(this.#row(base, 'rejected', reason));
        return;
      }
      const r: RescheduleDecision = routeWithinBudget(d.ledger, {
        ranked,
        tenant: s.request.tenant,
        jobId: s.request.jobId,
        deadlineMs: s.request.deadline,
        nowMs,
      });
      // The policy charged its own budget view for its first choice; give that back unless the
      // request really went there, so its dual prices follow what was actually routed.
      if (decision.kind === 'route' && !(r.kind === 'route' && r.model === this.#models[decision.model])) {
        policy.recordLost({ model: decision.model, reservedCost: decision.reservedCost });
      }
      if (r.kind === 'route') {
        const m = this.#modelIndex.get(r.model)!;
        const fallbackRank = Array.from(rankModels(scores)).indexOf(m);
        const usdPerToken = d.usdPerToken[m] ?? Number.NaN;
        const dualPrice = Number.isFinite(usdPerToken) ? pricing.prices[m]! * usdPerToken : 0;
        const res = packer.add(r.model, { requestId: s.request.requestId, tokens: r.estimatedTokens, value: { scored: s, model: m, fallbackRank, scores, dualPrice } }, d.clock());
        if (!res.ok) {
          // Cannot happen: candidates above maxBatchTokens were filtered out. Give the budget
          // back and dead-letter rather than lose the request if it ever does.
          d.ledger.release(r.reservation);
          deadLetter(s.record, 'processing_failed', `batching refused the request: ${res.detail}`);
          decisions.push(this.#row(base, 'rejected', 'processing_failed'));
          return;
        }
        // The policy reserved its estimate for this request: feedback settles that reservation
        // with the observed cost when the outcome comes back.
        if (decision.kind === 'route' && decision.model === m) d.feedback?.reserved?.(s.request.requestId, { policy, model: m, reservedCost: decision.reservedCost });
        emit(res.emitted);
        // Same clock as `add`: a batch is sealed by age only after it has really been open
        // for flushIntervalMs (budget windows stay those of the slice's decision time).
        emit(packer.flushDue(d.clock()));
        return;
      }
      if (r.kind === 'defer') {
        const attempts = s.deferrals + 1;
        if (attempts > cfg.router.maxDeferrals) {
          deadLetter(s.record, 'max_deferrals_exceeded', `deferred ${s.deferrals} times already`);
          decisions.push(this.#row(base, 'rejected', 'max_deferrals_exceeded'));
          return;
        }
        const untilMs = Math.min(r.untilMs, nowMs + cfg.router.deferDelayMs);
        const blocking = r.skipped.find((k) => k.retryAtMs === r.untilMs);
        const rule = blocking === undefined ? undefined : d.ledger.rules.find((x) => x.id === blocking.ruleId);
        const reason: DeferReason = rule !== undefined && rule.windowMs <= MINUTE_MS ? 'rate_limited' : 'budget_exhausted';
        const deferred: DeferredV2 = {
          request: s.request,
          deferUntil: untilMs,
          reason,
          detail: r.skipped.map((k) => `${k.model}: ${k.reason} (${k.ruleId})`).join('; ').slice(0, 2_000),
          attempts,
          deferredAt: nowMs,
        };
        messages.push({ topic: cfg.topics.deferred, key: s.request.requestId, value: d.deferredSerde.encode(deferred) });
        stats.deferred += 1;
        decisions.push({ ...this.#row(base, 'deferred', reason), deferUntilMs: untilMs, deferrals: attempts });
        return;
      }
      const reason = rejectToDeadLetter(r.reason);
      deadLetter(s.record, reason, r.detail);
      decisions.push(this.#row(base, 'rejected', r.reason));
    });
    emit(packer.drain());
  }

  #base(record: InputRecord, request: RequestV2, promptTokens: number, deferrals: number, policy: string, nowMs: number): RowBase {
    return {
      requestId: request.requestId,
      jobId: request.jobId,
      tenant: request.tenant,
      promptTokens,
      scores: [],
      deferrals,
      policy,
      routerInstance: this.#d.config.router.instanceId,
      sourceTopic: record.topic,
      sourcePartition: record.partition,
      sourceOffset: record.offset,
      decidedAtMs: nowMs,
    };
  }

  #row(
    base: RowBase,
    outcome: DecisionOutcome,
    reason: string | null,
  ): DecisionRow {
    return {
      ...base,
      outcome,
      model: null,
      batchId: null,
      fallbackRank: null,
      estimatedTokens: null,
      predictedQuality: null,
      predictedCostUsd: null,
      score: null,
      dualPrice: null,
      reason,
      deferUntilMs: null,
    };
  }

  #emitBatch(
    batch: PackedBatch<RoutedItem>,
    sliceId: string,
    nowMs: number,
    policyName: string,
    messages: OutputMessage[],
    decisions: DecisionRow[],
    stats: StepStats,
  ): void {
    const d = this.#d;
    const m = this.#modelIndex.get(batch.model)!;
    // Deterministic from the input slice, so a re-processed slice names its batches the same.
    const batchId = `${sliceId}-${batch.model}-${batch.sequence}`;
    const requests: RoutedRequestV2[] = batch.items.map(({ value: it, tokens }) => ({
      requestId: it.scored.request.requestId,
      jobId: it.scored.request.jobId,
      tenant: it.scored.request.tenant,
      prompt: it.scored.request.prompt,
      embedding: null,
      promptTokens: it.scored.promptTokens,
      maxOutputTokens: it.scored.request.maxOutputTokens,
      estimatedTokens: tokens,
      predictedQuality: finiteOr(it.scored.quality[m], 0),
      predictedCostUsd: finiteOr(it.scored.costUsd[m], 0),
      score: finiteOr(it.scores[m], 0),
      fallbackRank: it.fallbackRank,
      dualPrice: it.dualPrice,
      priority: it.scored.request.priority,
      deadline: it.scored.request.deadline,
      metadata: it.scored.request.metadata,
      customId: it.scored.request.customId ?? null,
      body: it.scored.request.body ?? null,
    }));
    const envelope: RoutedBatchV2 = {
      batchId,
      model: batch.model,
      createdAt: nowMs,
      routerInstance: d.config.router.instanceId,
      policy: policyName,
      totalEstimatedTokens: batch.totalTokens,
      requests,
    };
    messages.push({ topic: this.#topicOf[m]!, key: batchId, value: d.routedSerdeFor(batch.model).encode(envelope) });
    stats.routedByModel.set(batch.model, (stats.routedByModel.get(batch.model) ?? 0) + batch.items.length);
    stats.batches.push({ model: batch.model, requests: batch.items.length, tokens: batch.totalTokens });
    for (const { value: it, tokens } of batch.items) {
      const s = it.scored;
      decisions.push({
        requestId: s.request.requestId,
        jobId: s.request.jobId,
        tenant: s.request.tenant,
        outcome: 'routed',
        model: batch.model,
        batchId,
        fallbackRank: it.fallbackRank,
        promptTokens: s.promptTokens,
        estimatedTokens: tokens,
        predictedQuality: finiteOr(s.quality[m], null),
        predictedCostUsd: finiteOr(s.costUsd[m], null),
        score: finiteOr(it.scores[m], null),
        dualPrice: it.dualPrice,
        scores: Array.from(it.scores),
        reason: null,
        deferUntilMs: null,
        deferrals: s.deferrals,
        policy: policyName,
        routerInstance: d.config.router.instanceId,
        sourceTopic: s.record.topic,
        sourcePartition: s.record.partition,
        sourceOffset: s.record.offset,
        decidedAtMs: nowMs,
        features:
          s.feedback === null || !d.feedback
            ? null
            : d.feedback.featuresOf(s.feedback.embedding, { quality: s.feedback.quality[m]!, costUsd: s.feedback.costUsd[m]!, outputTokens: s.feedback.outputTokens[m]! }),
      });
    }
  }
}

/** Postgres text cannot hold NUL; such ids are refused before routing but may sit in the deferred topic. */
function storableIds(r: RequestV2): boolean {
  return !r.requestId.includes('\u0000') && !r.jobId.includes('\u0000') && !r.tenant.includes('\u0000');
}

function finiteOr<T>(v: number | undefined, fallback: T): number | T {
  return v !== undefined && Number.isFinite(v) ? v : fallback;
}
