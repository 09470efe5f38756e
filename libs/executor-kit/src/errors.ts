// One error class for the library. Outcomes that are expected (an invalid outcome handed to
// report(), an undecodable batch) are values; ExecutorKitError is for caller bugs and broken
// infrastructure.

import { CodedError } from '@switchyard/config';

export type ExecutorKitErrorCode =
  | 'invalid_options' // options that cannot work (empty model, no topic)
  | 'missing_result' // the execute callback returned no result for a request of the batch
  | 'invalid_outcome' // a result produced an outcome that violates the Outcome contract
  | 'kafka' // the broker refused or was unreachable (cause: KafkaIoError)
  | 'registry' // the schema registry refused or was unreachable (cause: ContractsError)
  | 'stopped'; // used after stop()/close()

const retriableCodes: ReadonlySet<ExecutorKitErrorCode> = new Set(['kafka', 'registry']);

export class ExecutorKitError extends CodedError<ExecutorKitErrorCode> {
  override readonly name = 'ExecutorKitError';

  constructor(code: ExecutorKitErrorCode, message: string, options?: { cause?: unknown; retriable?: boolean }) {
    super(code, message, options?.retriable ?? retriableCodes.has(code), options?.cause === undefined ? undefined : { cause: options.cause });
  }
}
