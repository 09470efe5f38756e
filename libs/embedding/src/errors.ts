export type EmbeddingErrorCode = 'bad_options' | 'bad_state';

/** Raised for programming errors (bad options, corrupt saved state); never for ordinary input. */
export class EmbeddingError extends Error {
  override readonly name = 'EmbeddingError';
  readonly code: EmbeddingErrorCode;
  readonly retriable = false;
  constructor(code: EmbeddingErrorCode, message: string, opts: { cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
  }
}
