// The services the demo runs in-process. They are apps, like the CLI, and the boundary lint
// lets apps depend on libraries only; the demo is the one place that wires apps together, so
// the imports are allowed here and nowhere else in the CLI.
// eslint-disable-next-line @nx/enforce-module-boundaries
export { compileRouterConfig, parseRouterServiceConfig, startRouter } from '@switchyard/router';
// eslint-disable-next-line @nx/enforce-module-boundaries
export type { RouterHandle, RouterServiceInput } from '@switchyard/router';
// eslint-disable-next-line @nx/enforce-module-boundaries
export { compileExecutorSimConfig, parseExecutorSimConfig, startExecutorSim } from '@switchyard/executor-sim';
// eslint-disable-next-line @nx/enforce-module-boundaries
export type { ExecutorSimHandle, ExecutorSimInput } from '@switchyard/executor-sim';
// eslint-disable-next-line @nx/enforce-module-boundaries
export { compileOutcomeRecorderConfig, parseOutcomeRecorderConfig, startOutcomeRecorder } from '@switchyard/outcome-recorder';
// eslint-disable-next-line @nx/enforce-module-boundaries
export type { OutcomeRecorderHandle, OutcomeRecorderInput } from '@switchyard/outcome-recorder';
// eslint-disable-next-line @nx/enforce-module-boundaries
export { RoutingStep, budgetRulesOf, buildSharedReference, createPolicyHolder, createScoringPool, embeddingDimOf, policyBudgetsUsd, resolveBackend } from '@switchyard/router';
// eslint-disable-next-line @nx/enforce-module-boundaries
export type { RouterConfig } from '@switchyard/router';
// eslint-disable-next-line @nx/enforce-module-boundaries
export { compileExecutorOpenaiConfig, parseExecutorOpenaiConfig, startExecutorOpenai } from '@switchyard/executor-openai';
// eslint-disable-next-line @nx/enforce-module-boundaries
export type { ExecutorOpenaiHandle } from '@switchyard/executor-openai';
