export { DEPENDENCIES, DependencyHealth } from './dependency-health.ts';
export type { Dependency, DependencyHealthOptions, DependencyReporter, FailingDependency } from './dependency-health.ts';
export { readinessOf, startOpsServer } from './ops-server.ts';
export type { OpsServer, Probe, ReadyReport } from './ops-server.ts';
export { readConfigFile, runMain, runUntilStopped } from './process.ts';
export type { ConfigFileParts, RunningService, RunUntilStoppedOptions } from './process.ts';
