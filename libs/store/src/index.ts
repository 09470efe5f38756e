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
  heartbeatLeaseOwner,
  settleOwnedLeases,
  reclaimExpiredLeases,
  retireLeaseOwner,
  readOwnedLeases,
  type BudgetLease,
  type LeaseDb,
} from './decisions-budget.ts';
export { recordOutcomes, readOutcomeStats, rewardOf, outcomeDigest, compareOutcomeVersions, classifyOutcomeWrite, latestPerRequest, isValidSegment, ALL_SEGMENTS, MAX_SEGMENT_CHARS, type OutcomeRecord, type OutcomeStats, type OutcomeWriteKind, type RecordOutcomesResult, type OutcomeDb, type OutcomeVersion, type CostSource } from './outcomes.ts';
export { insertResults, firstPerRequest, readResultsPage, streamJobResults, type ResultRecord, type StoredResult, type ResultsCursor } from './results.ts';
