export { startRouter } from './router.ts';
export type { FeedbackInspection, RouterHandle, StartRouterOptions } from './router.ts';
export { createSliceHandler } from './slice-handler.ts';
export type { SliceHandler, SliceHandlerDeps } from './slice-handler.ts';
// The config format is the engine's (file mode reads the same file); re-exported for callers
// that start the service.
export { compileRouterConfig, parseRouterServiceConfig, budgetRulesOf, routerServiceSchema, RouterConfigError } from '@switchyard/routing-engine';
export type { RouterConfig, RouterServiceConfig, RouterServiceInput } from '@switchyard/routing-engine';
