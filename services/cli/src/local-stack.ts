// The local stack (infra/stack) for the CLI: reused when it runs, started when it does not.
// infra/stack is tooling outside the workspace packages, so it has no @switchyard/ name to import
// it by; this is the one module of the CLI that reaches it by path.
// eslint-disable-next-line @nx/enforce-module-boundaries
export { ensureStack, stackConfigFromEnv, stopStack, StackError } from '../../../infra/stack/index.ts';
// eslint-disable-next-line @nx/enforce-module-boundaries
export type { StackInfo, StackErrorCode, Component } from '../../../infra/stack/index.ts';
