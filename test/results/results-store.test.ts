// switchyard.results against the real Postgres: first write wins per request id, keyset pages
// return every row once, and `switchyard results` writes each request to exactly one file.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { beginJob, runResults } from '@switchyard/cli';
import { createPool, insertResults, readResultsPage, recordOutcomes, streamJobResults } from '@switchyard/store';
import type { OutcomeRecord, Pool, ResultRecord } from '@switchyard/store';
import { stack, uniqueName } from '../support/index.ts';

const jobId = uniqueName('results-job');
let pool: Pool;
let dir: string;

const row = (i: number, over: Partial<ResultRecord> = {}): ResultRecord => ({
  requestId: `${jobId}:${String(i).padStart(3, '0')}`,
  jobId,
  customId: i < 3 ? null : `c-${String(i % 7).padStart(2, '0')}-${i}`,
  model: 'm',
  statusCode: 200,
  response: JSON.stringify({ id: `x${i}`, choices: [] }),
  error: null,
  promptTokens: i,
  completionTokens: 1,
  costUsd: 0.001,
  latencyMs: 5,
  completedAtMs: 1_767_225_600_000 + i,
  ...over,
});

beforeAll(async () => {
  pool = createPool({ url: stack().postgresUrl, poolMax: 2, applicationName: 'results-test' });
  dir = await mkdtemp(join(tmpdir(), 'results-'));
  await beginJob(pool, { jobId, tenant: 't', source: 'test', sourceFormat: 'jsonl', sourceBytes: 0, topic: 'requests', submittedAtMs: Date.now() }, false);
});

afterAll(async () => {
  await pool.query('DELETE FROM switchyard.results WHERE job_id = $1', [jobId]);
  await pool.query('DELETE FROM switchyard.jobs WHERE job_id = $1', [jobId]);
  await pool.query('DELETE FROM switchyard.outcomes WHERE job_id = $1', [jobId]);
  await pool.query('DELETE FROM switchyard.outcome_stats WHERE model = $1', [`${jobId}-model`]);
  await pool.query('DELETE FROM switchyard.outcome_daily WHERE job_id = $1', [jobId]);
  await pool.end();
  await rm(dir, { recursive: true, force: true });
});

describe('switchyard.results', () => {
  it('keeps the first result of a request id, within a call and across calls', async () => {
    expect(await insertResults(pool, [row(0), row(0, { error: 'later: second', model: 'other' })])).toBe(1);
    expect(await insertResults(pool, [row(0, { model: 'third' }), row(1)])).toBe(1);
    const page = await readResultsPage(pool, jobId, null, 10);
    expect(page.map((r) => [r.requestId, r.model, r.error])).toEqual([
      [row(0).requestId, 'm', null],
      [row(1).requestId, 'm', null],
    ]);
  });

  it('stores a response that is not JSON, or holds \\u0000, without failing the transaction', async () => {
    expect(await insertResults(pool, [row(2, { response: 'not json' })])).toBe(1);
    const [r] = (await readResultsPage(pool, jobId, null, 10)).filter((x) => x.requestId === row(2).requestId);
    expect(r!.response).toBeNull();
    expect(await insertResults(pool, [row(3, { response: '{"a":"x\\u0000y"}' })])).toBe(1);
  });

  it('pages through a job with keyset pagination, each row exactly once, native requests first', async () => {
    await insertResults(pool, Array.from({ length: 40 }, (_, i) => row(i)));
    const seen: string[] = [];
    for await (const r of streamJobResults(pool, jobId, 3)) seen.push(r.requestId);
    expect(seen.length).toBe(40);
    expect(new Set(seen).size).toBe(40);
    expect(seen.slice(0, 3)).toEqual([0, 1, 2].map((i) => row(i).requestId));
    const customIds: Array<string | null> = [];
    for await (const r of streamJobResults(pool, jobId, 7)) customIds.push(r.customId);
    customIds.splice(0, 3);
    expect(customIds).toEqual([...customIds].sort());
  });

  it('recordOutcomes writes the answer in its transaction; a later event for the request keeps the first answer', async () => {
    const outcome = (over: Partial<OutcomeRecord>): OutcomeRecord => ({
      requestId: `${jobId}:rec`, jobId, tenant: 't', model: `${jobId}-model`, batchId: 'b', segment: null, quality: null, success: true,
      promptTokens: 3, completionTokens: 4, latencyMs: 9, error: null, costUsd: 0.5, costSource: 'reported', completedAtMs: 1_767_225_600_000,
      sourceTopic: 'outcomes', sourcePartition: 0, sourceOffset: '1', customId: 'rec', statusCode: 200, response: '{"answer":1}', ...over,
    });
    expect((await recordOutcomes(pool, [outcome({})])).resultsInserted).toBe(1);
    // A repeated call after a crash reports a later, different event: outcomes keeps the
    // greatest (statistics), results keeps the first (what the submitter downloads).
    const again = await recordOutcomes(pool, [outcome({ completedAtMs: 1_767_225_700_000, response: '{"answer":2}' })]);
    expect(again).toMatchObject({ replaced: 1, resultsInserted: 0 });
    const { rows } = await pool.query<{ response: unknown }>('SELECT response FROM switchyard.results WHERE request_id = $1', [`${jobId}:rec`]);
    expect(rows).toEqual([{ response: { answer: 1 } }]);
    await pool.query('DELETE FROM switchyard.results WHERE request_id = $1', [`${jobId}:rec`]);
  });

  it('switchyard results writes answers and errors to separate files, every request once', async () => {
    await insertResults(pool, [row(50, { error: 'malformed_response: HTTP 200 body is not JSON', response: null }), row(51)]);
    const out = join(dir, 'out.jsonl');
    const r = await runResults({ postgresUrl: stack().postgresUrl, jobId, outFile: out, format: 'openai', pageSize: 4 });
    expect(r).toMatchObject({ answered: 41, errors: 1, errorsFile: join(dir, 'out.errors.jsonl') });
    const lines = (await readFile(out, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { id: string; x_switchyard: { model: string } });
    const errors = (await readFile(r.errorsFile, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { id: string; error: { code: string } });
    expect(new Set([...lines, ...errors].map((l) => l.id)).size).toBe(42);
    expect(errors[0]!.error.code).toBe('malformed_response');
    expect(lines.every((l) => l.x_switchyard.model === 'm')).toBe(true);
    await expect(runResults({ postgresUrl: stack().postgresUrl, jobId: 'no-such-job', outFile: out, format: 'anthropic' })).rejects.toMatchObject({ code: 'not_found' });
  });
});
