export { RoutingError, type RoutingErrorCode } from './errors.ts';
export { createRng, shuffledIndices, type Rng } from './rng.ts';
export { ReferenceSet, type Metric, type ReferenceRow } from './reference-set.ts';
export {
  estimateFromNeighbours,
  estimateRow,
  estimateBatchOf,
  type EstimateBatch,
  type EstimateOptions,
  type NeighbourWeighting,
  type QueryEstimate,
} from './estimates.ts';
export { totalBudget, splitBudget, BudgetLedger, BUDGET_SPLITS, type BudgetSplit, type ServeResult } from './stream-budget.ts';
export { rankModels, selectWithFallback, type Decision, type DropReason, type Selection } from './decision.ts';
export { scoreQuery, kernelInput, type Pricing, type ScoreKernel, type ScoreBatchInput, type ScoreBatchOutput } from './policy-score.ts';
export { loadHighsSolver, type LpSolver, type LpSolution } from './lp/solver.ts';
export { buildDualPriceLp, solveDualPrices, dualObjective, type DualPriceProblem, type DualPrices } from './lp/dual-prices.ts';
export { buildAssignmentLp, solveAssignmentLp, roundByArgmax, type AssignmentProblem, type AssignmentSolution } from './lp/assignment.ts';
export type { RoutingPolicy, PolicyName, ServedOutcome, LostOutcome } from './policies/types.ts';
export { RandomPolicy, GreedyPolicy } from './policies/baselines.ts';
export { PortPolicy, type PortOptions } from './policies/port.ts';
export { ResolvingDualPolicy, type ResolvingDualOptions } from './policies/resolving-dual.ts';
export { createPolicy, parsePolicyConfig, PolicyConfigSchema, RESOLVING_DUAL_ESTIMATOR, type PolicyConfig, type PolicyConfigInput, type PolicyContext } from './policies/factory.ts';
export {
  BatchPacker,
  type BatchLimits,
  type PackItem,
  type PackedBatch,
  type FlushReason,
  type AddRejectReason,
  type AddResult,
} from './batching.ts';
export {
  WindowBudgetLedger,
  routeWithinBudget,
  windowKey,
  windowStartOf,
  type BudgetRule,
  type BudgetScope,
  type BudgetRejectReason,
  type LedgerMode,
  type RankedCandidate,
  type RescheduleDecision,
  type RescheduleInput,
  type Reservation,
  type ReservationInput,
  type ReserveFailure,
  type ReserveResult,
  type SkippedCandidate,
  type WindowUsage,
} from './budget-window.ts';
export { FeedbackModel, DEFAULT_FEEDBACK_OPTIONS, type FeedbackOptions, type FeedbackObservation } from './feedback/model.ts';
export { CostCorrection, type CostCorrectionOptions, type CorrectedMetric } from './feedback/cost-correction.ts';
export { QualityDrift, type QualityDriftOptions } from './feedback/drift.ts';
export { LinUcb, type LinUcbOptions } from './feedback/linucb.ts';
export { RandomProjection } from './feedback/projection.ts';
export { estimatePerModel } from './feedback/per-model-estimates.ts';
export { QualityCalibration, type QualityCalibrationOptions } from './feedback/quality-calibration.ts';
export { OutcomeImputation } from './feedback/imputation.ts';
export {
  UsdLedger,
  refusalAction,
  nanoUsdCeil,
  nanoUsdFloor,
  usdOfNano,
  NANO_PER_USD,
  type UsdEntry,
  type UsdLedgerChanges,
  type UsdRefusalReason,
  type UsdReserveInput,
  type UsdReserveResult,
  type UsdScope,
  type UsdSettleResult,
} from './usd-ledger.ts';
export { UsdPacer, solveSharedDualPrice, spendAt, type SharedDualPriceProblem, type UsdPacerOptions } from './usd-pacer.ts';
export { routeUnderUsdBudget, type UsdRoutingChoice, type UsdRoutingRequest } from './usd-routing.ts';
export { quoteJob, finishSecondsFor, type Quote, type QuoteEstimate, type QuoteInput, type QuoteLine, type QuoteModel, type SingleModelQuote } from './quote.ts';
