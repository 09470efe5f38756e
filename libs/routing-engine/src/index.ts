// The routing engine: what the router, file mode, the demo and the benchmarks share.
export { createEngine, engineOf } from './engine.ts';
export type { DecisionPlan, EngineOptions, EngineStartup, RoutingEngine } from './engine.ts';
export type { DecideContext } from './decide.ts';
export type { EngineParts } from './parts.ts';
export type { UsdAsk, UsdRefusal, UsdRouting } from './usd.ts';
export { InMemoryUsdGate } from './usd-memory.ts';
export type { UsdSettleMode } from './usd-memory.ts';
export { DEFAULT_USD_PACING, UsdJobPacing, pricedCostsUsd } from './usd-pacing.ts';
export type { PacedModel, UsdJobPace, UsdPacingOptions } from './usd-pacing.ts';
export type {
  BudgetStorePort,
  DecisionOutcome,
  InputRecord,
  LeaseItem,
  OutputMessage,
  PreparedSlice,
  Scored,
  RoutingDecision,
  SliceResult,
  SliceStats,
} from './slice.ts';
export { budgetRulesOf, compileRouterConfig, embeddingDimOf, parseRouterServiceConfig, routerServiceSchema, RouterConfigError } from './config.ts';
export type { RouterConfig, RouterServiceConfig, RouterServiceInput } from './config.ts';
export { FeedbackLoop } from './feedback-loop.ts';
export type { ApplyResult, DecisionFeatures, FeedbackHooks, FeedbackLoopSettings, FeedbackOutcome, PolicyReservation, SkipReason } from './feedback-loop.ts';
export { createPolicyHolder, policyBudgetsUsd } from './policy-holder.ts';
export type { PolicyHolder } from './policy-holder.ts';
export { buildSharedReference } from './reference.ts';
export type { SharedReference } from './reference.ts';
export { createScoringPool, resolveBackend } from './scoring-pool.ts';
export type { ScoringPool, ScoringPoolOptions } from './scoring-pool.ts';
export { resultLength, viewResult } from './scoring-task.ts';
export type { ScoreResult, ScoreTask } from './scoring-task.ts';
export { Semaphore } from './semaphore.ts';
