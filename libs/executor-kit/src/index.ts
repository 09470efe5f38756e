export { ExecutorKitError } from './errors.ts';
export type { ExecutorKitErrorCode } from './errors.ts';
export {
  SEGMENT_HEADER,
  MAX_SEGMENT_CHARS,
  DEFAULT_SEGMENT_METADATA_KEY,
  buildOutcome,
  checkOutcome,
  handBackOf,
  planBatchOutcomes,
  segmentOf,
} from './outcome.ts';
export type { BatchPlan, ExecutionResult, HandBack, OutcomeCheck, PlannedOutcome } from './outcome.ts';
export { OutcomeReporter, outcomeRecord } from './reporter.ts';
export type { OutcomeReporterOptions, ReportOptions, ReportResult } from './reporter.ts';
export { startExecutor } from './executor.ts';
export type { BatchContext, ExecuteBatch, ExecutorEvent, ExecutorHandle, ExecutorOptions } from './executor.ts';
export { dependencyHealthOf, startModelExecutors } from './service.ts';
export type { ModelExecutorsHandle, ModelExecutorsOptions } from './service.ts';
