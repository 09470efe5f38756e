import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The integration global setup may stop the Kafka and registry JVMs it started; a clean
    // broker shutdown (and the first class-data archive dump) outlasts the 10 s default.
    teardownTimeout: 90_000,
    projects: [
      {
        test: {
          name: 'unit',
          // test/**/*.spec.ts: stack-free checks that live beside the integration tests they share code with.
          include: ['libs/*/test/**/*.test.ts', 'services/*/test/**/*.test.ts', 'bench/*/test/**/*.test.ts', 'infra/*/test/**/*.test.ts', 'test/**/*.spec.ts'],
          environment: 'node',
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/setup/global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 600_000,
          // Files one after another against the one shared stack. fileParallelism is a root-only
          // option in vitest 3 (ignored per project); a single fork is the per-project equivalent.
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
        },
      },
    ],
  },
});
