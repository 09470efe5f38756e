import { CodedError } from '@switchyard/config';

export type EmbeddingErrorCode = 'bad_options' | 'bad_state';

/** Raised for programming errors (bad options, corrupt saved state); never for ordinary input. */
export class EmbeddingError extends CodedError<EmbeddingErrorCode> {
  override readonly name = 'EmbeddingError';
  constructor(code: EmbeddingErrorCode, message: string, opts: { cause?: unknown } = {}) {
    super(code, message, false, opts.cause === undefined ? undefined : { cause: opts.cause });
  }
}
