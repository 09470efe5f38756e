// What a source reader yields: one record per line (or row) of the input, in file order, with
// the 1-based line number it starts on. A line that cannot even be parsed is a `bad` record
// carrying its reason; validation of parsed lines happens afterwards, in one place.

export type SourceRecord =
  | { readonly kind: 'line'; readonly lineNo: number; readonly value: unknown }
  | { readonly kind: 'bad'; readonly lineNo: number; readonly error: string };

/** Native formats (`jsonl`, `csv`, `parquet`) and provider batch files (JSON lines too). */
export type SourceFormat = 'jsonl' | 'csv' | 'parquet' | 'openai' | 'anthropic';

export const SOURCE_FORMATS: readonly SourceFormat[] = ['openai', 'anthropic', 'jsonl', 'csv', 'parquet'];

export interface JobSource {
  readonly format: SourceFormat;
  /** Size of the input in bytes (progress total). */
  readonly sizeBytes: number;
  /** Bytes consumed so far (progress); an estimate for formats read in blocks. */
  bytesRead(): number;
  records(): AsyncIterable<SourceRecord>;
}
