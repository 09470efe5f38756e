export { startOpsServer } from './ops-server.ts';
export type { OpsServer, Probe } from './ops-server.ts';
