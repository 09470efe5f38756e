import { CodedError } from '@switchyard/config';

export type AnnErrorCode = 'bad_dimension' | 'bad_argument' | 'bad_file' | 'io' | 'native';

export class AnnError extends CodedError<AnnErrorCode> {
  override readonly name = 'AnnError';
  constructor(code: AnnErrorCode, message: string, opts: { cause?: unknown } = {}) {
    super(code, message, code === 'io', opts.cause === undefined ? undefined : { cause: opts.cause });
  }
}
