export { startOutcomeRecorder } from './recorder.ts';
export type { OutcomeRecorderHandle, RecorderCounts, StartOutcomeRecorderOptions } from './recorder.ts';
export { compileOutcomeRecorderConfig, outcomeRecorderSchema, parseOutcomeRecorderConfig, OutcomeRecorderConfigError } from './config.ts';
export type { OutcomeRecorderConfig, OutcomeRecorderInput, OutcomeRecorderSettings } from './config.ts';
export { derivedCostUsd, segmentFromHeaders, toOutcomeRecord } from './convert.ts';
export { settlementsOf } from './settlements.ts';
