export type AnnErrorCode = 'bad_dimension' | 'bad_argument' | 'bad_file' | 'io' | 'native';

export class AnnError extends Error {
  override readonly name = 'AnnError';
  readonly code: AnnErrorCode;
  /** Only I/O may succeed on retry; dimension and argument errors are bugs of the caller. */
  readonly retriable: boolean;
  constructor(code: AnnErrorCode, message: string, opts: { cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.retriable = code === 'io';
  }
}
