/** Closed set of failure reasons of the dataset loaders; callers branch on `code`, never on text. */
export type DatasetErrorCode =
  | 'format_unknown'
  | 'bad_line'
  | 'bad_header'
  | 'bad_literal'
  | 'no_models'
  | 'empty'
  | 'io';

export class DatasetError extends Error {
  override readonly name = 'DatasetError';
  readonly code: DatasetErrorCode;
  /** A broken file stays broken on retry; only I/O failures (disk, NFS) may succeed later. */
  readonly retriable: boolean;
  /** 1-based line (JSONL) or record (CSV) number the error refers to, when there is one. */
  readonly line: number | undefined;

  constructor(
    code: DatasetErrorCode,
    message: string,
    opts: { cause?: unknown; line?: number; retriable?: boolean } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.retriable = opts.retriable ?? code === 'io';
    this.line = opts.line;
  }
}
