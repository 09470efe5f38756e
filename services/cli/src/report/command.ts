// `switchyard report <jobId>`: load the job's data, render the page, write it atomically
// (temporary file then rename) so a reader never opens half a report.
import { rename, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { openPool } from '../endpoints.ts';
import type { PostgresTarget } from '../endpoints.ts';
import type { ReportQuality } from './data.ts';
import { loadReportData } from './load.ts';
import { renderReport } from './render.ts';

export interface ReportCommandOptions {
  readonly postgresUrl: string;
  /** Password and TLS options (the CLI's resolved connections); absent: the URL alone. */
  readonly postgres?: PostgresTarget['postgres'];
  readonly jobId: string;
  /** Output file; default `report-<jobId>.html` in the working directory. */
  readonly outFile?: string | undefined;
}

export interface ReportCommandResult {
  readonly path: string;
  readonly bytes: number;
  /** The single-model comparison the page shows; null before outcomes. */
  readonly quality: ReportQuality | null;
}

export function defaultReportFile(jobId: string): string {
  return `report-${jobId.replace(/[^a-zA-Z0-9._-]/g, '_')}.html`;
}

export async function runReport(opts: ReportCommandOptions): Promise<ReportCommandResult> {
  const pool = openPool(opts, 'switchyard-cli', 1);
  let html: string;
  let quality: ReportQuality | null;
  try {
    const data = await loadReportData(pool, opts.jobId);
    quality = data.quality;
    html = renderReport(data);
  } finally {
    await pool.end();
  }
  const path = resolve(opts.outFile ?? defaultReportFile(opts.jobId));
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, html, 'utf8');
  await rename(tmp, path);
  return { path, bytes: Buffer.byteLength(html, 'utf8'), quality };
}
