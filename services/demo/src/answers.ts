// The end of a user's job with a real endpoint: fetch the answers (`switchyard results` into
// results.jsonl, OpenAI batch output format), then, since a real endpoint reports no quality,
// feed the data set's grades for those answers back as late labels (`switchyard label`), and
// wait until the outcome recorder has applied them, so the summary and the report show true
// quality.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runLabel, runResults } from '@switchyard/cli';
import type { Endpoints } from '@switchyard/cli';
import { gradedOutcomeCount } from '@switchyard/store';
import type { Pool } from '@switchyard/store';
import { gradeLabels } from './grades.ts';
import type { GradedQuery } from './grades.ts';

export interface AnswersContext {
  readonly pg: Pool;
  readonly jobId: string;
  readonly outDir: string;
  readonly endpoints: Endpoints;
  /** The outcomes topic the outcome recorder reads. */
  readonly outcomesTopic: string;
  readonly queries: readonly GradedQuery[];
  readonly models: readonly string[];
  readonly timeoutMs: number;
  readonly say: (line: string) => void;
}

export async function collectAnswers(ctx: AnswersContext): Promise<void> {
  const { pg, jobId, outDir, say } = ctx;
  const r = await runResults({ postgresUrl: ctx.endpoints.postgresUrl, jobId, outFile: join(outDir, 'results.jsonl'), format: 'openai' });
  say(`    answers: ${r.answered} in ${r.outFile}, ${r.errors} errors in ${r.errorsFile} (switchyard results ${jobId} --out F)`);

  const grades = gradeLabels(await readFile(r.outFile, 'utf8'), ctx.queries, ctx.models);
  const labelsFile = join(outDir, 'labels.jsonl');
  await writeFile(labelsFile, grades.text);
  say(`    the endpoint reports no quality: labelling ${grades.labelled} answers with the data set's recorded grades (not a judgement of the answer text) from ${labelsFile}${grades.ungraded > 0 ? `; ${grades.ungraded} answers have no grade in the data set` : ''}`);
  if (grades.unreadable > 0) say(`    ${grades.unreadable} lines of ${r.outFile} could not be read`);
  if (grades.labelled === 0) return;

  const before = await gradedOutcomeCount(pg, jobId);
  const l = await runLabel({ jobId, file: labelsFile, topic: ctx.outcomesTopic, endpoints: ctx.endpoints, stderr: process.stderr });
  say(`    switchyard label ${jobId} ${labelsFile}: ${l.applied} sent to the outcomes path, ${l.unchanged} already applied, ${l.missing} not applicable, ${l.bad} bad lines`);
  const target = before + l.applied;
  const t0 = Date.now();
  let graded = before;
  while (graded < target && Date.now() - t0 < ctx.timeoutMs) {
    await new Promise((res) => setTimeout(res, 500));
    graded = await gradedOutcomeCount(pg, jobId);
  }
  if (graded < target) say(`    only ${graded} of ${target} labelled outcomes recorded after ${ctx.timeoutMs / 1000} s: the summary and report show those`);
  else say(`    ${graded} outcomes now carry the data set's grade as their quality`);
}
