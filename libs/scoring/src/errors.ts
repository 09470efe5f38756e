import { CodedError } from '@switchyard/config';

/**
 * The one error class of @switchyard/scoring. Callers branch on `code`, never on the message.
 * - `bad_shape`: array lengths or dimensions do not match nQueries x nModels.
 * - `non_finite`: an input value or alpha is NaN or infinite.
 * - `out_of_range`: a finite input is so large that a float32 score could overflow.
 * - `backend_unavailable`: the requested backend or gpu.js mode cannot run here.
 * - `kernel_failed`: a compiled kernel threw or returned something of the wrong shape.
 * - `disposed`: the backend was used after dispose().
 */
export type ScoringErrorCode = 'bad_shape' | 'non_finite' | 'out_of_range' | 'backend_unavailable' | 'kernel_failed' | 'disposed';

const RETRIABLE: Readonly<Record<ScoringErrorCode, boolean>> = Object.freeze({
  bad_shape: false,
  non_finite: false,
  out_of_range: false,
  backend_unavailable: false,
  // A kernel failure is most often a lost GPU context or an exhausted wasm memory: building the
  // backend again may succeed, so the caller may retry on a fresh instance.
  kernel_failed: true,
  disposed: false,
});

export class ScoringError extends CodedError<ScoringErrorCode> {
  override readonly name = 'ScoringError';

  constructor(code: ScoringErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, RETRIABLE[code], options?.cause === undefined ? undefined : { cause: options.cause });
  }
}
