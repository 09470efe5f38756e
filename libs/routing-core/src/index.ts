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
export { OursPolicy, type OursOptions } from './policies/ours.ts';
export { createPolicy, parsePolicyConfig, PolicyConfigSchema, OURS_ESTIMATOR, type PolicyConfig, type PolicyConfigInput, type PolicyContext } from './policies/factory.ts';
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
export { LinUcb, type LinUcbOptions } from './feedback/linucb.ts';
export { RandomProjection } from './feedback/projection.ts';
export { estimatePerModel } from './feedback/per-model-estimates.ts';
export { QualityCalibration, type QualityCalibrationOptions } from './feedback/quality-calibration.ts';
export { OutcomeImputation } from './feedback/imputation.ts';
