export { ensureStack, formatStatus, kafkaJars, stopStack, stackStatus, registerStackUser } from './stack.ts';
export type { StackInfo, EnsureStackOptions, StopStackOptions, StopStackResult, ComponentStatus } from './stack.ts';
export { StackConfigSchema, parseStackConfig, stackConfigFromEnv, repoRoot } from './config.ts';
export type { StackConfig, StackConfigInput } from './config.ts';
export { StackError, type StackErrorCode } from './errors.ts';
export type { Component } from './layout.ts';
export { kafkaServerProperties } from './kafka.ts';
export type { PostgresKind } from './postgres.ts';
