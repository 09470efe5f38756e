export { StoreError, type StoreErrorCode } from './errors.ts';
export {
  PostgresConfigSchema,
  parsePostgresConfig,
  postgresConfigOf,
  redactUrl,
  type PostgresConfig,
  type PostgresConfigInput,
} from './config.ts';
export { createPool, toPgPoolConfig, type CreatePoolOptions, type Pool } from './pool.ts';
export {
  migrate,
  loadMigrations,
  defaultMigrationsDir,
  type MigrateOptions,
  type MigrateResult,
} from './migrate.ts';
export {
  checksumOf,
  parseMigrationFiles,
  planMigrations,
  type AppliedMigration,
  type MigrationFile,
} from './migration-plan.ts';
export { recordDecisions, DECISION_INSERT_CHUNK, type DecisionRecord, type DecisionFeatures, type DecisionOutcomeKind, type Queryable } from './decisions.ts';
export {
  encodeEmbeddingInt8,
  decodeEmbeddingInt8,
  encodedEmbeddingBytes,
  readFeedbackOutcomes,
  readFeedbackHistory,
  clearOldDecisionFeatures,
  FEEDBACK_START,
  type FeedbackOutcome,
  type FeedbackWatermark,
} from './feedback.ts';
export {
  acquireBudgetLeases,
  releaseBudgetLeases,
  readBudgetUsage,
  settleOwnedLeases,
  readOwnedLeases,
  type BudgetLease,
  type LeaseDb,
} from './budget-leases.ts';
export { heartbeatLeaseOwner, reclaimExpiredLeases, retireLeaseOwner } from './lease-owners.ts';
export { recordOutcomes, readOutcomeStats, rewardOf, outcomeDigest, compareOutcomeVersions, classifyOutcomeWrite, latestPerRequest, isValidSegment, ALL_SEGMENTS, MAX_SEGMENT_CHARS, type OutcomeRecord, type OutcomeStats, type OutcomeWriteKind, type RecordOutcomesResult, type OutcomeDb, type OutcomeVersion, type CostSource } from './outcomes.ts';
export {
  reserveUsd,
  reserveUsdCandidates,
  type UsdCandidateReservation,
  type UsdCandidateResult,
  settleUsd,
  releaseUsd,
  readUsdBudgets,
  jobUsdScope,
  dailyUsdScope,
  readJobUsdBudgets,
  usdScopesFor,
  type UsdCaps,
  type JobUsdBudget,
  type UsdLedgerDb,
  type UsdScopeLimit,
  type UsdReservation,
  type UsdSettlement,
  type UsdRelease,
  type UsdBudgetRow,
} from './usd-ledger.ts';
export { readStoredOutcomes, recordLabels, readLabels, type StoredOutcome, type LabelRecord } from './outcome-labels.ts';
export { UsdBudgetGate, type UsdGateOptions, type UsdGateRequest, type UsdGateVerdict, type UsdJobPaceRow } from './usd-gate.ts';
export { beginJob, finishJob, recordBadLines, readBadLines, readJob, listJobs, decisionTotals, countDecidedRequests } from './jobs.ts';
export type { BadLine, BeginJobResult, DecisionTotals, JobCounts, JobRow, JobStatusKind, JobSummary, ModelDecisions, NewJob, SourceFormat } from './jobs.ts';
export { gradedOutcomeCount, outcomesAvailable, outcomeTotals, readSpendOverTime } from './job-outcomes.ts';
export { finishedCounts } from './job-progress.ts';
export type { FinishedCounts } from './job-progress.ts';
export type { ModelOutcomes, OutcomeTotals, SpendPoint } from './job-outcomes.ts';
export { readBudgetGrants, readDecisionTenants, readQualityAgainstModels, readRoutedTokensPerMinute } from './reports.ts';
export type { BudgetGrant, JobQuality, TokensPerMinute } from './reports.ts';
export { backendPidsOf, deleteRunRows } from './housekeeping.ts';
export { insertResults, firstPerRequest, readResultsPage, resultTotals, streamJobResults, type ResultRecord, type ResultTotals, type StoredResult, type ResultsCursor } from './results.ts';
export { findProviderBatch, saveProviderBatch, setProviderBatchStatus, type ProviderBatchRecord } from './provider-batches.ts';
