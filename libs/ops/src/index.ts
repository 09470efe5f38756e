export { startOpsServer } from './ops-server.ts';
export type { OpsServer, Probe } from './ops-server.ts';
export { readConfigFile, runMain, runUntilStopped } from './process.ts';
export type { ConfigFileParts, RunningService, RunUntilStoppedOptions } from './process.ts';
