// One error class for the library: configuration problems are programming or deployment
// errors found once at start-up, so they are thrown (never retriable) with every issue listed.

import { CodedError } from './coded-error.ts';

export type ConfigErrorCode = 'invalid_config' | 'invalid_env';

export interface ConfigIssue {
  /** Dotted path in the configuration (`kafka.brokers.0`) or the environment variable name. */
  readonly path: string;
  /** Machine-readable rule that failed (zod issue code or a rule of ours, e.g. `topic_collision`). */
  readonly rule: string;
  readonly message: string;
}

export class ConfigError extends CodedError<ConfigErrorCode> {
  override readonly name = 'ConfigError';
  readonly issues: readonly ConfigIssue[];

  constructor(code: ConfigErrorCode, issues: readonly ConfigIssue[], options?: { cause?: unknown }) {
    super(code, `${code === 'invalid_env' ? 'invalid environment' : 'invalid configuration'}:\n${issues.map((i) => `  - ${i.path}: ${i.message} [${i.rule}]`).join('\n')}`, false, options);
    this.issues = issues;
  }
}
