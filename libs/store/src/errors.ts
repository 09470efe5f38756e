// One error class for the library. Only broken infrastructure, invalid configuration and
// unsafe migration states are thrown; everything a caller is expected to branch on is a value.

import { CodedError } from '@switchyard/config';

export type StoreErrorCode =
  | 'config_invalid' // PostgresConfigSchema rejected the input
  | 'connection_failed' // could not connect or the server went away mid-operation
  | 'migration_file_invalid' // a .sql file in the migrations folder has a malformed name or duplicates a version
  | 'migration_checksum_mismatch' // a migration recorded as applied was edited afterwards
  | 'migration_unknown' // the database has a migration applied that no file on disk describes
  | 'migration_failed' // a migration's SQL failed; its transaction was rolled back
  | 'lease_lost'; // a budget lease was reclaimed (its owner's heartbeat expired) before it was settled

const retriableCodes: ReadonlySet<StoreErrorCode> = new Set(['connection_failed']);

export class StoreError extends CodedError<StoreErrorCode> {
  override readonly name = 'StoreError';

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, retriableCodes.has(code), options);
  }
}
