// The services the demo runs in-process. They are apps, like the CLI, and the boundary lint
// lets apps depend on libraries only; the demo is the one place that wires apps together, so
// the imports are allowed here and nowhere else in the CLI.
// eslint-disable-next-line @nx/enforce-module-boundaries
export { compileRouterConfig, parseRouterServiceConfig, startRouter } from '@switchyard/router';
// eslint-disable-next-line @nx/enforce-module-boundaries
export type { RouterHandle, RouterServiceInput } from '@switchyard/router';
