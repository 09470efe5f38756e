// One error class for the CLI. Only what stops a command is thrown; bad input lines are values
// (reported and counted), never exceptions.

export type CliErrorCode =
  | 'invalid_arguments' // flags or environment do not make a valid command
  | 'source_unreadable' // the job file cannot be opened or read
  | 'source_invalid' // the job file is unusable as a whole (no CSV header, duplicate columns)
  | 'job_conflict' // the job id exists with another tenant, source or topic
  | 'produce_failed' // Kafka did not acknowledge a chunk of requests
  | 'not_found' // a job id that no job has
  | 'stack_unavailable'; // the local stack could not be reached or started

const retriableCodes: ReadonlySet<CliErrorCode> = new Set(['produce_failed', 'stack_unavailable']);

export class CliError extends Error {
  override readonly name = 'CliError';
  readonly code: CliErrorCode;
  readonly retriable: boolean;

  constructor(code: CliErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.retriable = retriableCodes.has(code);
  }
}
