// One error class for the library. Bad input bytes are never thrown (they are values, see
// DecodeResult); ContractsError is for broken infrastructure and programming errors.

import { CodedError } from '@switchyard/config';

export type ContractsErrorCode =
  | 'registry_unavailable' // network error, timeout, 5xx from the schema registry
  | 'registry_rejected' // 4xx on register/lookup that is not "schema not found" (incompatible, auth)
  | 'schema_load_failed' // a bundled .avsc file is missing or not a valid Avro schema
  | 'invalid_value'; // asked to encode a value that does not conform to its schema (a caller bug)

const retriableCodes: ReadonlySet<ContractsErrorCode> = new Set(['registry_unavailable']);

export class ContractsError extends CodedError<ContractsErrorCode> {
  override readonly name = 'ContractsError';

  constructor(code: ContractsErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, retriableCodes.has(code), options);
  }
}
