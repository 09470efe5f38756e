export { startRouter } from './router.ts';
export type { RouterHandle, StartRouterOptions } from './router.ts';
export { compileRouterConfig, parseRouterServiceConfig, budgetRulesOf, routerServiceSchema, RouterConfigError } from './config.ts';
export type { RouterConfig, RouterServiceConfig, RouterServiceInput } from './config.ts';
export type { DecisionRow, InputRecord, OutputMessage, StepResult } from './routing-step.ts';
