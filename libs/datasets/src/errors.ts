import { CodedError } from '@switchyard/config';

/** Closed set of failure reasons of the dataset loaders; callers branch on `code`, never on text. */
export type DatasetErrorCode =
  | 'format_unknown'
  | 'bad_line'
  | 'bad_header'
  | 'bad_literal'
  | 'no_models'
  | 'empty'
  | 'io';

export class DatasetError extends CodedError<DatasetErrorCode> {
  override readonly name = 'DatasetError';
  /** 1-based line (JSONL) or record (CSV) number the error refers to, when there is one. */
  readonly line: number | undefined;

  constructor(
    code: DatasetErrorCode,
    message: string,
    opts: { cause?: unknown; line?: number; retriable?: boolean } = {},
  ) {
    super(code, message, opts.retriable ?? code === 'io', opts.cause === undefined ? undefined : { cause: opts.cause });
    this.line = opts.line;
  }
}
