// `switchyard jobs` and `switchyard job <id>` on the real Postgres: a job row as submit writes
// it, router decisions as the router writes them (recordDecisions), and outcomes rows; the
// status shown must add them up per job and per model.
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, recordDecisions } from '@switchyard/store';
import type { DecisionRecord, Pool } from '@switchyard/store';
import { beginJob, decisionTotals, finishJob, outcomeTotals, recordBadLines, runJob, runJobs } from '@switchyard/cli';
import { stack, uniqueName, withClient } from '../support/index.ts';

const prefix = uniqueName('clijobs');
const jobId = `${prefix}-job`;
const tenant = `${prefix}-tenant`;
const models = [`${prefix}-a`, `${prefix}-b`];

function decision(i: number, over: Partial<DecisionRecord>): DecisionRecord {
  return {
    requestId: `${jobId}-L${i}`,
    jobId,
    tenant,
    outcome: 'routed',
    model: models[0]!,
    batchId: `${prefix}-batch-1`,
    fallbackRank: 0,
    promptTokens: 10,
    estimatedTokens: 100,
    predictedQuality: 0.8,
    predictedCostUsd: 0.001,
    score: 1,
    dualPrice: 0,
    scores: [1, 0.5],
    reason: null,
    deferUntilMs: null,
    deferrals: 0,
    policy: 'resolving-dual',
    routerInstance: 'test',
    sourceTopic: `${prefix}.requests`,
    sourcePartition: 0,
    sourceOffset: String(i),
    decidedAtMs: Date.now(),
    ...over,
  };
}

async function capture(run: (out: PassThrough) => Promise<void>): Promise<string> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString('utf8')));
  await run(out);
  return text;
}

describe('switchyard jobs / job', () => {
  let pool: Pool;

  beforeAll(async () => {
    pool = createPool({ url: stack().postgresUrl, poolMax: 2 });
    const begun = await beginJob(pool, { jobId, tenant, source: '/data/job.jsonl', sourceFormat: 'jsonl', sourceBytes: 1234, topic: `${prefix}.requests`, submittedAtMs: Date.now() }, false);
    expect(begun).toEqual({ kind: 'new' });
    await recordBadLines(pool, jobId, [{ lineNo: 7, error: 'prompt: must not be empty' }]);
    await finishJob(pool, jobId, 'submitted', { linesRead: 8, linesProduced: 7, linesRejected: 1 }, null);
    await recordDecisions(pool, [
      decision(1, { predictedQuality: 0.9, estimatedTokens: 100 }),
      decision(2, { predictedQuality: 0.7, estimatedTokens: 300 }),
      decision(3, { model: models[1]!, batchId: `${prefix}-batch-2`, predictedQuality: 0.5, estimatedTokens: 50 }),
      decision(4, { model: models[1]!, batchId: `${prefix}-batch-3`, predictedQuality: 0.5, estimatedTokens: 50 }),
      decision(5, { outcome: 'deferred', model: null, batchId: null, fallbackRank: null, deferUntilMs: Date.now() + 60_000, deferrals: 1 }),
      decision(6, { outcome: 'rejected', model: null, batchId: null, fallbackRank: null, reason: 'no_feasible_model' }),
    ]);
    await withClient(stack().adminUrl, async (c) => {
      for (const [i, model, quality, cost] of [[1, models[0], 1, 0.002], [3, models[1], 0, 0.001]] as const) {
        await c.query(
          `INSERT INTO switchyard.outcomes (request_id, job_id, tenant, model, batch_id, quality, prompt_tokens, completion_tokens,
             latency_ms, cost_usd, cost_source, completed_at, completed_at_ms, event_digest, source_topic, source_partition, source_offset)
           VALUES ($1, $2, $3, $4, 'b', $5, 10, 90, 5, $6, 'reported', now(), 0, 'd', 't', 0, $7)`,
          [`${jobId}-L${i}`, jobId, tenant, model, quality, cost, i],
        );
      }
    });
  });

  afterAll(async () => {
    await pool?.end();
    await withClient(stack().adminUrl, async (c) => {
      await c.query('DELETE FROM switchyard.outcomes WHERE job_id = $1', [jobId]);
      await c.query('DELETE FROM switchyard.results WHERE job_id = $1', [jobId]);
      await c.query('DELETE FROM switchyard.decisions WHERE job_id = $1', [jobId]);
      await c.query('DELETE FROM switchyard.jobs WHERE job_id = $1', [jobId]);
    });
  });

  it('adds decisions up per job and per model, and outcomes per model', async () => {
    const d = await decisionTotals(pool, jobId);
    expect(d).toMatchObject({ routed: 4, deferred: 1, rejected: 1, rejectedByReason: { no_feasible_model: 1 } });
    expect(d.perModel).toEqual([
      { model: models[0], requests: 2, estimatedTokens: 400, batches: 1, meanPredictedQuality: expect.closeTo(0.8, 9), predictedCostUsd: expect.closeTo(0.002, 9) },
      { model: models[1], requests: 2, estimatedTokens: 100, batches: 2, meanPredictedQuality: expect.closeTo(0.5, 9), predictedCostUsd: expect.closeTo(0.002, 9) },
    ]);
    const o = await outcomeTotals(pool, jobId);
    expect(o).toEqual({
      received: 2,
      perModel: [
        { model: models[0], received: 1, tokens: 100, meanQuality: 1, costUsd: 0.002 },
        { model: models[1], received: 1, tokens: 100, meanQuality: 0, costUsd: 0.001 },
      ],
    });
  });

  it('prints the job with its counts, per-model table and bad lines', async () => {
    const text = await capture((out) => runJob({ postgresUrl: stack().postgresUrl, jobId, out }));
    expect(text).toContain('lines      8 read, 7 sent, 1 bad');
    expect(text).toMatch(/status {5}running,/);
    expect(text).toContain('progress   3 of 7 requests finished (42.9%): 2 answered, 1 failed or rejected, 4 not finished');
    expect(text).toContain('router     4 routed, 1 deferred (waiting), 1 rejected, 1 not decided yet (or dead-lettered)');
    expect(text).toContain('rejected   no_feasible_model 1');
    expect(text).toContain('outcomes   2 received');
    expect(text).toMatch(new RegExp(`${models[0]}\\s+2\\s+1\\s+400\\s+0\\.800\\s+1\\s+100\\s+1\\.000\\s+0\\.0020`));
    expect(text).toContain('line 7: prompt: must not be empty');
  });

  it('lists the job for its tenant with routed, deferred, rejected and pending counts', async () => {
    const text = await capture((out) => runJobs({ postgresUrl: stack().postgresUrl, limit: 5, tenant, out }));
    const lines = text.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(new RegExp(`^${jobId}\\s+${tenant}\\s+running\\s+\\S+ \\S+\\s+7\\s+1\\s+4\\s+1\\s+1\\s+1\\s+3 \\(42\\.9%\\)$`));
  });

  it('waits until every request has an answer or an error, then says completed', async () => {
    const insertOutcome = (c: { query: (q: string, v: unknown[]) => Promise<unknown> }, i: number, error: string | null): Promise<unknown> =>
      c.query(
        `INSERT INTO switchyard.outcomes (request_id, job_id, tenant, model, batch_id, quality, prompt_tokens, completion_tokens,
           latency_ms, error, cost_usd, cost_source, completed_at, completed_at_ms, event_digest, source_topic, source_partition, source_offset)
         VALUES ($1, $2, $3, $4, 'b', $5, 10, 90, 5, $6, 0.001, 'reported', now(), 0, 'd', 't', 0, $7)`,
        [`${jobId}-L${i}`, jobId, tenant, models[0], error === null ? 1 : null, error, 100 + i],
      );
    const logged: string[] = [];
    // Three requests finish while the command waits (one only in the results table); the fourth
    // (an error) completes the job.
    const finishLater = (async () => {
      await new Promise((r) => setTimeout(r, 300));
      await withClient(stack().adminUrl, async (c) => {
        for (const i of [2, 5]) await insertOutcome(c, i, null);
        // An answer in the results table counts as well (the recorder writes both; either is enough).
        await c.query(
          `INSERT INTO switchyard.results (request_id, job_id, custom_id, model, status_code, response, error, prompt_tokens, completion_tokens, latency_ms, completed_at)
           VALUES ($1, $2, 'c-8', $3, 200, '{}'::jsonb, NULL, 10, 5, 7, now())`,
          [`${jobId}-L8`, jobId, models[0]],
        );
      });
      await new Promise((r) => setTimeout(r, 300));
      await withClient(stack().adminUrl, (c) => insertOutcome(c, 4, 'HTTP 500 after 3 attempts'));
    })();
    const text = await capture((out) => runJob({ postgresUrl: stack().postgresUrl, jobId, out, wait: { pollMs: 100, timeoutMs: 30_000, log: (l) => logged.push(l) } }));
    await finishLater;
    expect(logged[0]).toContain('3 of 7 requests finished');
    expect(logged.at(-1)).toContain('7 of 7 requests finished (100.0%): 5 answered, 2 failed or rejected, 0 not finished');
    expect(text).toMatch(/status {5}completed,/);
  });

  it('says when a job does not exist', async () => {
    await expect(capture((out) => runJob({ postgresUrl: stack().postgresUrl, jobId: `${prefix}-nope`, out }))).rejects.toMatchObject({ code: 'not_found' });
  });
});
