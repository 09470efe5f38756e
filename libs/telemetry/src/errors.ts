// One error class for the library: a tracing variable that cannot be understood. Tracing never
// fails a request at run time; export problems are the SDK's to log and drop.
import { CodedError } from '@switchyard/config';

export type TelemetryErrorCode =
  | 'invalid_config' // an OTEL_* variable with a value this library does not understand
  | 'already_started'; // a second provider in one process (the API has one global provider)

export class TelemetryError extends CodedError<TelemetryErrorCode> {
  override readonly name = 'TelemetryError';

  constructor(code: TelemetryErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, false, options?.cause === undefined ? undefined : { cause: options.cause });
  }
}
