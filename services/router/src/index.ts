export { startRouter } from './router.ts';
export type { FeedbackInspection, RouterHandle, StartRouterOptions } from './router.ts';
export { createSliceHandler } from './slice-handler.ts';
export type { SliceHandler, SliceHandlerDeps } from './slice-handler.ts';
// The config format is the engine's (file mode reads the same file); re-exported for callers
// that start the service.
export { compileRouterConfig, parseRouterServiceConfig, budgetRulesOf, routerServiceSchema, RouterConfigError } from '@switchyard/routing-engine';
export type { RouterConfig, RouterServiceConfig, RouterServiceInput } from '@switchyard/routing-engine';
// The Kafka side of a slice and its tracing, for benchmarks of the router's per-record shell.
export { kafkaBatchHandler } from './kafka-slices.ts';
export { SliceTracer } from './slice-tracing.ts';
export { createRouterMetrics } from './metrics.ts';
export type { RouterMetrics } from './metrics.ts';
