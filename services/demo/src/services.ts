// The services the demo runs in-process, through their public entries. The demo is the one
// package that composes apps (tag type:composition in the boundary rules).
export { startRouter } from '@switchyard/router';
export type { RouterHandle } from '@switchyard/router';
export { compileRouterConfig, parseRouterServiceConfig } from '@switchyard/routing-engine';
export type { RouterServiceInput } from '@switchyard/routing-engine';
export { compileExecutorSimConfig, parseExecutorSimConfig, startExecutorSim } from '@switchyard/executor-sim';
export type { ExecutorSimHandle, ExecutorSimInput } from '@switchyard/executor-sim';
export { compileOutcomeRecorderConfig, parseOutcomeRecorderConfig, startOutcomeRecorder } from '@switchyard/outcome-recorder';
export type { OutcomeRecorderHandle, OutcomeRecorderInput } from '@switchyard/outcome-recorder';
export { compileExecutorOpenaiConfig, parseExecutorOpenaiConfig, startExecutorOpenai } from '@switchyard/executor-openai';
export type { ExecutorOpenaiHandle } from '@switchyard/executor-openai';
