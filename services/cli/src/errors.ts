// One error class for the CLI. Only what stops a command is thrown; bad input lines are values
// (reported and counted), never exceptions.

import { CodedError } from '@switchyard/config';

export type CliErrorCode =
  | 'invalid_arguments' // flags or environment do not make a valid command
  | 'source_unreadable' // the job file cannot be opened or read
  | 'source_invalid' // the job file is unusable as a whole (no CSV header, duplicate columns)
  | 'job_conflict' // the job id exists with another tenant, source or topic
  | 'produce_failed' // Kafka did not acknowledge a chunk of requests
  | 'not_found' // a job id that no job has
  | 'stack_unavailable'; // the local stack could not be reached or started

const retriableCodes: ReadonlySet<CliErrorCode> = new Set(['produce_failed', 'stack_unavailable']);

export class CliError extends CodedError<CliErrorCode> {
  override readonly name = 'CliError';

  constructor(code: CliErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, retriableCodes.has(code), options);
  }
}
