// `switchyard label JOB labels.jsonl`: feeds quality labels that arrive after the job ran into
// the outcomes path. custom_id is the line's own `id` in the job's source file (the file submit
// read, found through the jobs table), resolved to the request id submit gave that line.
// Labels are recorded in Postgres first (with the executor's quality beside them), then sent as
// newer outcome versions; a re-run after a failure in between records the same labels again
// and sends what is not applied yet, so running it twice changes nothing more.
import { readFile } from 'node:fs/promises';
import { createRegistryClient } from '@switchyard/contracts';
import { OutcomeReporter } from '@switchyard/executor-kit';
import { createKafka } from '@switchyard/kafka-io';
import type { Queryable } from '@switchyard/store';
import { kafkaConfigOf, openPool, postgresTargetOf, registryOf } from '../endpoints.ts';
import type { Endpoints } from '../endpoints.ts';
import { CliError } from '../errors.ts';
import { readJob, readLabels, readStoredOutcomes, recordLabels } from '@switchyard/store';
import { openJobSource } from '../source/open.ts';
import { requestIdFor } from '../submit/request.ts';
import { customIdLines } from './custom-ids.ts';
import { parseLabelLines, planLabels } from './labels.ts';
import type { LabelLine } from './labels.ts';

export interface LabelCommandOptions {
  readonly jobId: string;
  readonly file: string;
  readonly topic: string;
  readonly endpoints: Endpoints;
  readonly stderr: NodeJS.WritableStream;
}

export interface LabelResult {
  readonly applied: number;
  readonly recorded: number;
  readonly unchanged: number;
  readonly missing: number;
  readonly bad: number;
}

/** custom id -> line numbers, from the job's source file (see customIdLines). */
async function customIds(source: string): Promise<Map<string, string[]>> {
  const src = await openJobSource(source);
  return customIdLines(src.records(), src.format);
}

async function resolve(db: Queryable, jobId: string, labels: readonly LabelLine[], say: (s: string) => void) {
  const job = await readJob(db, jobId);
  if (job === null) throw new CliError('not_found', `no job ${jobId}`);
  const needCustom = labels.some((l) => l.key.kind === 'custom');
  const byCustom = needCustom ? await customIds(job.source) : new Map<string, string[]>();
  const resolved: { lineNo: number; requestId: string; quality: number }[] = [];
  let unresolved = 0;
  for (const l of labels) {
    if (l.key.kind === 'request') resolved.push({ lineNo: l.lineNo, requestId: l.key.id, quality: l.quality });
    else {
      const lines = byCustom.get(l.key.id);
      if (lines === undefined || lines.length !== 1) {
        unresolved++;
        say(`line ${l.lineNo}: custom_id ${l.key.id} ${lines === undefined ? `is not in ${job.source}` : `is on ${lines.length} lines of ${job.source}; use request_id`}`);
      } else resolved.push({ lineNo: l.lineNo, requestId: requestIdFor(jobId, Number(lines[0])), quality: l.quality });
    }
  }
  return { resolved, unresolved };
}

export async function runLabel(opts: LabelCommandOptions): Promise<LabelResult> {
  const say = (line: string): void => void opts.stderr.write(`${line}\n`);
  let text: string;
  try {
    text = await readFile(opts.file, 'utf8');
  } catch (cause) {
    throw new CliError('source_unreadable', `cannot read ${opts.file}`, { cause });
  }
  const { labels, bad } = parseLabelLines(text);
  for (const b of bad) say(`line ${b.lineNo}: ${b.error}`);
  const pool = openPool(postgresTargetOf(opts.endpoints), 'switchyard-label', 2);
  try {
    const { resolved, unresolved } = await resolve(pool, opts.jobId, labels, say);
    const ids = resolved.map((r) => r.requestId);
    const plan = planLabels(opts.jobId, resolved, await readStoredOutcomes(pool, ids), await readLabels(pool, ids));
    for (const m of plan.missing) say(`line ${m.lineNo}: ${m.requestId} ${m.why}`);
    await recordLabels(pool, plan.records);
    if (plan.events.length > 0) {
      const kafka = createKafka(kafkaConfigOf(opts.endpoints), { role: 'label', logLevel: 'error', onLog: (r) => say(`kafka ${r.level}: ${r.message}`) });
      const reporter = await OutcomeReporter.create({ kafka, registry: createRegistryClient(registryOf(opts.endpoints)), topic: opts.topic });
      try {
        const results = await reporter.reportMany(plan.events);
        const refused = results.filter((r) => !r.ok);
        if (refused.length > 0) throw new CliError('invalid_arguments', `${refused.length} labelled outcomes were refused: ${refused.map((r) => (r.ok ? '' : r.detail)).join('; ')}`);
      } finally {
        await reporter.close();
      }
    }
    return { applied: plan.events.length, recorded: plan.records.length, unchanged: plan.unchanged, missing: plan.missing.length + unresolved, bad: bad.length };
  } finally {
    await pool.end();
  }
}
