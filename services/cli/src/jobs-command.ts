// `switchyard jobs` and `switchyard job <id>`: job status read from Postgres (the jobs table
// written by submit, the router's decisions, and outcomes when an outcome recorder fills them).
import { openPool } from './endpoints.ts';
import type { PostgresTarget } from './endpoints.ts';
import type { Queryable } from '@switchyard/store';
import { CliError } from './errors.ts';
import { decisionTotals, finishedCounts, listJobs, outcomeTotals, readBadLines, readJob } from '@switchyard/store';
import { progressOf } from './job-progress.ts';
import type { JobProgress } from './job-progress.ts';
import { formatNumber, renderTable } from './table.ts';

export interface JobsCommandOptions {
  readonly postgresUrl: string;
  readonly postgres?: PostgresTarget['postgres'];
  readonly limit: number;
  readonly tenant?: string | undefined;
  readonly out: NodeJS.WritableStream;
}

async function withDb<T>(target: PostgresTarget, body: (db: Queryable) => Promise<T>): Promise<T> {
  const pool = openPool(target, 'switchyard-cli', 1);
  try {
    return await body(pool);
  } finally {
    await pool.end();
  }
}

export async function runJobs(opts: JobsCommandOptions): Promise<void> {
  const jobs = await withDb(opts, async (db) => {
    const listed = await listJobs(db, { limit: opts.limit, tenant: opts.tenant });
    const out: Array<(typeof listed)[number] & { progress: JobProgress }> = [];
    for (const j of listed) out.push({ ...j, progress: progressOf(j.linesProduced, j.status, await finishedCounts(db, j.jobId)) });
    return out;
  });
  if (jobs.length === 0) {
    opts.out.write('no jobs yet (switchyard submit <file>)\n');
    return;
  }
  const table = renderTable(
    [
      { title: 'job' },
      { title: 'tenant' },
      { title: 'status' },
      { title: 'submitted at' },
      { title: 'sent', align: 'right' },
      { title: 'bad lines', align: 'right' },
      { title: 'routed', align: 'right' },
      { title: 'deferred', align: 'right' },
      { title: 'rejected', align: 'right' },
      { title: 'pending', align: 'right' },
      { title: 'finished', align: 'right' },
    ],
    jobs.map((j) => [
      j.jobId,
      j.tenant,
      j.progress.completed ? 'completed' : j.status === 'submitted' ? 'running' : j.status,
      j.submittedAt.toISOString().replace('T', ' ').slice(0, 19),
      j.linesProduced,
      j.linesRejected,
      j.routed,
      j.deferred,
      j.rejected,
      Math.max(0, j.linesProduced - j.routed - j.rejected - j.deferred),
      `${j.progress.succeeded + j.progress.failed} (${percent(j.progress)})`,
    ]),
  );
  opts.out.write(`${table}\n`);
}

export interface JobCommandOptions {
  readonly postgresUrl: string;
  readonly postgres?: PostgresTarget['postgres'];
  readonly jobId: string;
  readonly out: NodeJS.WritableStream;
  /** Poll until the job completes, printing its progress as it changes, then show it. */
  readonly wait?: { readonly pollMs: number; readonly timeoutMs: number; readonly log: (line: string) => void; readonly clock?: () => number } | undefined;
}

function percent(p: JobProgress): string {
  return p.sent === 0 ? '-' : `${(((p.succeeded + p.failed) / p.sent) * 100).toFixed(1)}%`;
}

export function describeProgress(p: JobProgress): string {
  return (
    `${formatNumber(p.succeeded + p.failed)} of ${formatNumber(p.sent)} requests finished (${percent(p)}): ` +
    `${formatNumber(p.succeeded)} answered, ${formatNumber(p.failed)} failed or rejected, ${formatNumber(p.unfinished)} not finished`
  );
}

async function waitForCompletion(db: Queryable, jobId: string, wait: NonNullable<JobCommandOptions['wait']>): Promise<void> {
  const clock = wait.clock ?? Date.now;
  const deadline = clock() + wait.timeoutMs;
  let last = '';
  for (;;) {
    const job = await readJob(db, jobId);
    if (job === null) throw new CliError('not_found', `no job ${jobId} (switchyard jobs lists them)`);
    const p = progressOf(job.linesProduced, job.status, await finishedCounts(db, jobId));
    const line = `${jobId}: ${describeProgress(p)}`;
    if (line !== last) wait.log(line);
    last = line;
    if (p.completed || job.status === 'failed') return;
    if (clock() >= deadline) {
      wait.log(`${jobId}: not complete after ${Math.round(wait.timeoutMs / 1000)} s; unfinished requests may be dead-lettered (see the dead-letter topic)`);
      return;
    }
    await new Promise((r) => setTimeout(r, wait.pollMs));
  }
}

export async function runJob(opts: JobCommandOptions): Promise<void> {
  await withDb(opts, async (db) => {
    if (opts.wait !== undefined) await waitForCompletion(db, opts.jobId, opts.wait);
    const job = await readJob(db, opts.jobId);
    if (job === null) throw new CliError('not_found', `no job ${opts.jobId} (switchyard jobs lists them)`);
    const progress = progressOf(job.linesProduced, job.status, await finishedCounts(db, opts.jobId));
    const d = await decisionTotals(db, opts.jobId);
    const outcomes = await outcomeTotals(db, opts.jobId);
    const bad = await readBadLines(db, opts.jobId, 10);
    const pending = Math.max(0, job.linesProduced - d.routed - d.rejected - d.deferred);
    const lines = [
      `job        ${job.jobId}`,
      `tenant     ${job.tenant}`,
      `source     ${job.source} (${job.sourceFormat}, ${formatNumber(job.sourceBytes)} bytes)`,
      `topic      ${job.topic}`,
      `status     ${progress.completed ? 'completed' : job.status === 'submitted' ? 'running' : job.status}${job.error !== null ? ` (${job.error})` : ''}, attempt ${job.attempts}, submitted ${job.submittedAt.toISOString()}`,
      `progress   ${describeProgress(progress)}`,
      `lines      ${formatNumber(job.linesRead)} read, ${formatNumber(job.linesProduced)} sent, ${formatNumber(job.linesRejected)} bad`,
      `router     ${formatNumber(d.routed)} routed, ${formatNumber(d.deferred)} deferred (waiting), ${formatNumber(d.rejected)} rejected, ${formatNumber(pending)} not decided yet (or dead-lettered)`,
    ];
    if (d.rejected > 0) lines.push(`rejected   ${Object.entries(d.rejectedByReason).map(([r, n]) => `${r} ${formatNumber(n)}`).join(', ')}`);
    lines.push(outcomes === null ? 'outcomes   no outcomes table in this database (no outcome recorder)' : `outcomes   ${formatNumber(outcomes.received)} received`);
    opts.out.write(`${lines.join('\n')}\n`);
    if (d.perModel.length > 0) {
      const byModel = new Map((outcomes?.perModel ?? []).map((o) => [o.model, o]));
      const table = renderTable(
        [
          { title: 'model' },
          { title: 'requests', align: 'right' },
          { title: 'batches', align: 'right' },
          { title: 'est. tokens', align: 'right' },
          { title: 'pred. quality', align: 'right' },
          { title: 'outcomes', align: 'right' },
          { title: 'tokens used', align: 'right' },
          { title: 'quality', align: 'right' },
          { title: 'cost USD', align: 'right' },
        ],
        d.perModel.map((m) => {
          const o = byModel.get(m.model);
          return [
            m.model,
            m.requests,
            m.batches,
            m.estimatedTokens,
            m.meanPredictedQuality === null ? null : m.meanPredictedQuality.toFixed(3),
            o?.received ?? null,
            o?.tokens ?? null,
            o?.meanQuality === null || o === undefined ? null : o.meanQuality.toFixed(3),
            o === undefined ? null : o.costUsd.toFixed(4),
          ];
        }),
      );
      opts.out.write(`\n${table}\n`);
    }
    if (bad.length > 0) {
      opts.out.write(`\nbad lines (first ${bad.length} of ${formatNumber(job.linesRejected)}):\n`);
      for (const b of bad) opts.out.write(`  line ${b.lineNo}: ${b.error}\n`);
    }
  });
}
