// Reads a Parquet job one row group at a time (hyparquet), so memory is bounded by the largest
// row group rather than the file. "Line" numbers are 1-based row numbers.
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import type { SourceRecord } from './record.ts';
import { normaliseRow } from './row.ts';

export interface ParquetProgress {
  /** Called after each row group with the bytes of the row groups read so far. */
  readonly onBytes: (bytes: number) => void;
}

export async function* readParquet(path: string, progress: ParquetProgress): AsyncGenerator<SourceRecord> {
  const file = await asyncBufferFromFile(path);
  const metadata = await parquetMetadataAsync(file);
  let rowStart = 0;
  let bytes = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    const rows = await parquetReadObjects({ file, metadata, rowStart, rowEnd });
    for (let i = 0; i < rows.length; i++) {
      yield { kind: 'line', lineNo: rowStart + i + 1, value: normaliseRow(rows[i] as Record<string, unknown>) };
    }
    bytes += Number(group.total_compressed_size ?? group.total_byte_size);
    progress.onBytes(Math.min(bytes, file.byteLength));
    rowStart = rowEnd;
  }
}
