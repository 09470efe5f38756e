export { startRouter } from './router.ts';
export type { FeedbackInspection, RouterHandle, StartRouterOptions } from './router.ts';
export { compileRouterConfig, parseRouterServiceConfig, budgetRulesOf, routerServiceSchema, RouterConfigError } from './config.ts';
export type { RouterConfig, RouterServiceConfig, RouterServiceInput } from './config.ts';
export type { DecisionRow, InputRecord, OutputMessage, StepResult } from './routing-step.ts';
// The routing engine's parts, for file mode (`switchyard route`), which runs the same step and
// worker pool without Kafka.
export { RoutingStep } from './routing-step.ts';
export { createScoringPool, resolveBackend } from './scoring-pool.ts';
export { buildSharedReference } from './reference.ts';
export { createPolicyHolder, policyBudgetsUsd } from './policy-holder.ts';
export { embeddingDimOf } from './config.ts';
