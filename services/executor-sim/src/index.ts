export { startExecutorSim } from './service.ts';
export type { ExecutorSimHandle, StartExecutorSimOptions } from './service.ts';
export { compileExecutorSimConfig, executorSimSchema, parseExecutorSimConfig, ExecutorSimConfigError } from './config.ts';
export type { ExecutorSimConfig, ExecutorSimInput, ExecutorSimSettings, LatencySpec, PriceChangeSpec } from './config.ts';
export { PriceSchedule } from './price-changes.ts';
export { columnFor, indexDataset, sampleLatencyMs, simulateRequest, SIMULATED_FAILURE, UNKNOWN_DATASET_ID } from './simulate.ts';
export type { SimulationSettings, TruthTable } from './simulate.ts';
