// createEngine: the reference set, the scoring worker pool, the serdes of the topics, the
// policy holder and the budget ledger, wired from a router config. The engine has no Kafka and
// no Postgres: the shell hands it records, leases budgets around `decide` when the ledger is
// shared, and writes what `decide` returns.
import { AvroSerde, contracts, createRequestValidator } from '@switchyard/contracts';
import type { DeadLetterV1, DeferredV3, RegistryPort, RequestV3, RoutedBatchV3 } from '@switchyard/contracts';
import { DEFAULT_FEEDBACK_OPTIONS, WindowBudgetLedger } from '@switchyard/routing-core';
import type { RoutingPolicy, WindowUsage } from '@switchyard/routing-core';
import type { BackendMeasurement, ScoringBackendKind } from '@switchyard/scoring';
import { budgetRulesOf, embeddingDimOf } from './config.ts';
import type { RouterConfig } from './config.ts';
import { decideSlice } from './decide.ts';
import type { DecideContext } from './decide.ts';
import { FeedbackLoop } from './feedback-loop.ts';
import { leaseDemandOf, leaseReturnsOf } from './lease-demand.ts';
import type { EngineParts } from './parts.ts';
import { createPolicyHolder, policyBudgetsUsd } from './policy-holder.ts';
import { prepareSlice } from './prepare.ts';
import { buildSharedReference } from './reference.ts';
import { createScoringPool, resolveBackend } from './scoring-pool.ts';
import type { InputRecord, LeaseItem, PreparedSlice, SliceResult } from './slice.ts';
import { usdAsksOf } from './usd.ts';
import type { UsdAsk } from './usd.ts';
import { UsdJobPacing } from './usd-pacing.ts';
import type { UsdJobPace } from './usd-pacing.ts';

export interface EngineOptions {
  readonly clock: () => number;
  /** Where the serdes register and look up schemas (the real registry, or its in-memory twin). */
  readonly registry: RegistryPort;
  /** 'leased': budgets come from a shared store the shell leases from around each decide. */
  readonly ledger: 'local' | 'leased';
  /** Learn from outcomes (config.service.feedback); file mode has none to learn from. */
  readonly feedback: boolean;
  /** Dual-price re-solves at most this often unless the policy's own config says (default 0). */
  readonly minResolveIntervalMs?: number;
}

/** One decide's budget session: the decision time, the policy then, and the windows to lease. */
export interface DecisionPlan extends DecideContext {
  /** Window leases to take before decide (empty with a local ledger or nothing to decide). */
  readonly demand: readonly LeaseItem[];
}

export interface EngineStartup {
  readonly referenceSource: string;
  readonly referenceRows: number;
  readonly dim: number;
  readonly referenceMs: number;
  readonly backend: { readonly configured: string; readonly chosen: ScoringBackendKind; readonly measurements: readonly BackendMeasurement[]; readonly excluded: unknown };
}

export interface RoutingEngine {
  readonly policyName: string;
  readonly startup: EngineStartup;
  /** Null when feedback is off. */
  readonly feedback: FeedbackLoop | null;
  encodeRequest(request: RequestV3): Buffer;
  /** Decoders of the engine's own outputs (file mode reads them back). */
  readonly serdes: { readonly deferred: AvroSerde<DeferredV3>; readonly deadLetter: AvroSerde<DeadLetterV1>; routed(model: string): AvroSerde<RoutedBatchV3> };
  /** Async: decode, validate, embed, search, estimate in the workers. Safe to run concurrently. */
  prepare(records: readonly InputRecord[]): Promise<PreparedSlice>;
  /** Under the shell's budget lock: decision time, policy, and the leases the slice needs. */
  plan(prepared: PreparedSlice): Promise<DecisionPlan>;
  /** Credits the shared store's grants (same order as plan.demand) to the ledger. */
  grant(demand: readonly LeaseItem[], granted: readonly number[]): void;
  /**
   * What the shell's dollar gate is asked about each admitted request (its verdicts go to decide
   * as `plan.usd`). With `paces` (the dollar budget of each budgeted job, what its ledger holds,
   * its deadline and size), a paced job's models are ranked under its budget's dual price
   * (usd-pacing.ts). Call under the shell's budget lock: the pacers learn from every call.
   */
  usdAsks(prepared: PreparedSlice, paces?: ReadonlyMap<string, UsdJobPace>): UsdAsk[];
  /** Synchronous: routes, defers or rejects every admitted request; outputs and decisions. */
  decide(prepared: PreparedSlice, plan: DecideContext): SliceResult;
  /** After decide: each lease taken with the tokens it gives back. */
  returns(demand: readonly LeaseItem[]): LeaseItem[];
  budgetUsage(nowMs: number): WindowUsage[];
  queueDepth(): number;
  close(): Promise<void>;
}

/** The engine over given parts (tests pass fakes for the scoring pool and serdes). */
export function engineOf(parts: EngineParts, extra: { readonly policyName: string; readonly leased: boolean }): Pick<RoutingEngine, 'prepare' | 'plan' | 'grant' | 'usdAsks' | 'decide' | 'returns'> {
  const models = parts.config.models.map((m) => m.name);
  const pacing = new UsdJobPacing(parts.config.models);
  return {
    prepare: (records) => prepareSlice(parts, records),
    async plan(prepared) {
      const nowMs = parts.clock();
      const policy: RoutingPolicy = await parts.policies.current(nowMs);
      const demand = extra.leased && prepared.admitted.length > 0 ? leaseDemandOf(parts.ledger, models, prepared.admitted, nowMs) : [];
      return { nowMs, policy, demand };
    },
    grant(demand, granted) {
      demand.forEach((item, i) => parts.ledger.grant(item.ruleId, item.subject, item.windowStartMs, granted[i] ?? 0));
    },
    usdAsks: (prepared, paces) =>
      usdAsksOf(parts, prepared, paces === undefined || paces.size === 0 ? [] : pacing.scores(prepared.admitted, paces, parts.clock())),
    decide: (prepared, plan) => decideSlice(parts, prepared, plan),
    returns: (demand) => (demand.length === 0 ? [] : leaseReturnsOf(parts.ledger, demand)),
  };
}

export async function createEngine(config: RouterConfig, options: EngineOptions): Promise<RoutingEngine> {
  const sy = config.switchyard;
  const svc = config.service;
  const t0 = performance.now();
  const reference = await buildSharedReference(config);
  const referenceMs = Math.round(performance.now() - t0);
  const feedback = options.feedback && svc.feedback.enabled ? new FeedbackLoop(reference, feedbackSettingsOf(config)) : null;
  const backend = resolveBackend(sy.scoring.backend, { nQueries: svc.scoreChunkRequests, nModels: reference.modelIds.length });
  const pool = await createScoringPool({
    reference,
    ann: svc.ann,
    backend: backend.kind,
    threads: sy.workers.poolSize,
    maxQueue: svc.poolMaxQueue,
    feedbackLog: feedback?.log ?? null,
    widen: svc.feedback.widen,
  });
  try {
    const serdes = await serdesOf(config, options.registry);
    const policies = await createPolicyHolder(sy.router.policy, policyBudgetsUsd(sy.models, reference.usdPerToken), svc.expectedRequestsPerDay, {
      ...(options.minResolveIntervalMs !== undefined ? { minResolveIntervalMs: options.minResolveIntervalMs } : {}),
      clock: options.clock,
    });
    const ledger = new WindowBudgetLedger(budgetRulesOf(sy), options.ledger);
    const parts: EngineParts = {
      config: sy,
      modelNames: sy.models.map((m) => m.name),
      ...serdes,
      routedSerdeFor: (model) => serdes.routed.get(model)!,
      validate: createRequestValidator({
        embeddingDim: embeddingDimOf(config),
        maxPromptChars: sy.router.maxPromptChars,
        maxPromptTokens: sy.router.maxPromptTokens,
        knownModels: sy.models.map((m) => m.name),
      }),
      score: (task) => pool.score(task),
      policies,
      ledger,
      usdPerToken: reference.usdPerToken,
      embeddingDim: embeddingDimOf(config),
      chunkRequests: svc.scoreChunkRequests,
      promptTokens: svc.promptTokens,
      clock: options.clock,
      feedback,
    };
    return {
      ...engineOf(parts, { policyName: policies.name, leased: options.ledger === 'leased' }),
      policyName: policies.name,
      startup: {
        referenceSource: reference.source,
        referenceRows: reference.nRows,
        dim: reference.dim,
        referenceMs,
        backend: { configured: sy.scoring.backend, chosen: backend.kind, measurements: backend.measurements, excluded: backend.excluded },
      },
      feedback,
      encodeRequest: (r) => serdes.requestSerde.encode(r),
      serdes: { deferred: serdes.deferredSerde, deadLetter: serdes.deadLetterSerde, routed: (model) => serdes.routed.get(model)! },
      budgetUsage: (nowMs) => ledger.usage(nowMs),
      queueDepth: () => pool.queueDepth(),
      close: () => pool.destroy(),
    };
  } catch (err) {
    await pool.destroy();
    throw err;
  }
}

async function serdesOf(config: RouterConfig, registry: RegistryPort) {
  const sy = config.switchyard;
  const requestSerde = await AvroSerde.forTopic(registry, sy.topics.requests, contracts.request);
  const deferredSerde = await AvroSerde.forTopic(registry, sy.topics.deferred, contracts.deferred);
  const deadLetterSerde = await AvroSerde.forTopic(registry, sy.topics.deadLetter, contracts.deadLetter);
  const outcomeSerde = await AvroSerde.forTopic(registry, sy.topics.outcomes, contracts.outcome);
  const routed = new Map<string, AvroSerde<RoutedBatchV3>>();
  for (const m of sy.models) routed.set(m.name, await AvroSerde.forTopic(registry, sy.topics.routedByModel[m.name]!, contracts.routedBatch));
  return { requestSerde, deferredSerde, deadLetterSerde, outcomeSerde, routed };
}

function feedbackSettingsOf(config: RouterConfig) {
  const fbc = config.service.feedback;
  return {
    // The library's measured defaults unless the config says otherwise.
    model: {
      ...DEFAULT_FEEDBACK_OPTIONS,
      costPriorCount: fbc.costPriorCount ?? DEFAULT_FEEDBACK_OPTIONS.costPriorCount,
      ucb: { ...DEFAULT_FEEDBACK_OPTIONS.ucb, beta: fbc.beta ?? DEFAULT_FEEDBACK_OPTIONS.ucb.beta },
      bonusTarget: fbc.bonusTarget ?? DEFAULT_FEEDBACK_OPTIONS.bonusTarget,
    },
    maxRows: fbc.maxRows,
    projectionSeed: fbc.projectionSeed,
  };
}
