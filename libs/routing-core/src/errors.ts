import { CodedError } from '@switchyard/config';

/**
 * The one error class of the routing core. Expected outcomes (over budget, dropped query) are
 * values (`Decision`), never errors; these codes are for invalid input, misconfiguration and a
 * solver that fails, so callers can branch on `code` and `retriable`, never on message text.
 */
export type RoutingErrorCode =
  | 'invalid_config'
  | 'invalid_input'
  | 'dimension_mismatch'
  | 'solver_unavailable'
  | 'lp_not_optimal';

const RETRIABLE: Readonly<Record<RoutingErrorCode, boolean>> = {
  invalid_config: false,
  invalid_input: false,
  dimension_mismatch: false,
  // The wasm module failed to load; a fresh attempt may succeed.
  solver_unavailable: true,
  lp_not_optimal: false,
};

export class RoutingError extends CodedError<RoutingErrorCode> {
  override readonly name = 'RoutingError';

  constructor(code: RoutingErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, RETRIABLE[code], options?.cause === undefined ? undefined : { cause: options.cause });
  }
}
