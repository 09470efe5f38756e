// `switchyard results <job> --out F [--format openai|anthropic] [--errors F2]`: streams a job's
// answers from Postgres into a provider's batch output format, page by page (keyset
// pagination), honouring the file streams' backpressure, so memory stays one page whatever
// the job's size.
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { readJob, streamJobResults } from '@switchyard/store';
import { openPool } from '../endpoints.ts';
import type { PostgresTarget } from '../endpoints.ts';
import { CliError } from '../errors.ts';
import { formatResult } from './format.ts';
import type { ResultsFormat } from './format.ts';

export interface ResultsCommandOptions {
  readonly postgresUrl: string;
  /** Password and TLS options (the CLI's resolved connections); absent: the URL alone. */
  readonly postgres?: PostgresTarget['postgres'];
  readonly jobId: string;
  readonly outFile: string;
  /** Default: the output file name with `.errors` before its extension. */
  readonly errorsFile?: string | undefined;
  readonly format: ResultsFormat;
  readonly pageSize?: number;
}

export interface ResultsCommandResult {
  readonly answered: number;
  readonly errors: number;
  readonly outFile: string;
  readonly errorsFile: string;
}

export function defaultErrorsFile(outFile: string): string {
  const m = /^(.*?)(\.[^./\\]+)?$/.exec(outFile)!;
  return `${m[1]}.errors${m[2] ?? '.jsonl'}`;
}

async function writeLine(stream: WriteStream, line: string): Promise<void> {
  if (!stream.write(`${line}\n`)) await once(stream, 'drain');
}

async function close(stream: WriteStream): Promise<void> {
  await new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

export async function runResults(opts: ResultsCommandOptions): Promise<ResultsCommandResult> {
  const errorsFile = opts.errorsFile ?? defaultErrorsFile(opts.outFile);
  if (errorsFile === opts.outFile) throw new CliError('invalid_arguments', '--errors must name another file than --out');
  const pool = openPool(opts, 'switchyard-cli', 1);
  try {
    if ((await readJob(pool, opts.jobId)) === null) throw new CliError('not_found', `no job ${opts.jobId} (switchyard jobs lists them)`);
    const out = createWriteStream(opts.outFile);
    const errors = createWriteStream(errorsFile);
    let answered = 0;
    let failed = 0;
    try {
      for await (const r of streamJobResults(pool, opts.jobId, opts.pageSize ?? 1_000)) {
        const f = formatResult(opts.format, r);
        if (f.ok) {
          answered++;
          await writeLine(out, f.line);
        } else {
          failed++;
          await writeLine(errors, f.line);
        }
      }
    } finally {
      await Promise.all([close(out), close(errors)]);
    }
    return { answered, errors: failed, outFile: opts.outFile, errorsFile };
  } finally {
    await pool.end();
  }
}
