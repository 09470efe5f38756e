// The store side of feedback on the real Postgres: decision features round-trip through the
// decision upsert, old embeddings are cleared by the retention pass, and the outcome watermark
// never skips a write whose transaction commits after a later one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FEEDBACK_START,
  clearOldDecisionFeatures,
  createPool,
  decodeEmbeddingInt8,
  encodeEmbeddingInt8,
  readFeedbackOutcomes,
  recordDecisions,
  recordOutcomes,
} from '@switchyard/store';
import type { DecisionRecord, FeedbackOutcome, FeedbackWatermark, OutcomeRecord, Pool } from '@switchyard/store';
import { eventually, stack, uniqueName, withClient } from '../support/index.ts';

const DAY_MS = 86_400_000;

describe('feedback in Postgres', () => {
  const prefix = uniqueName('fbs');
  const model = `${prefix}-m`;
  let pool: Pool;

  beforeAll(() => {
    pool = createPool({ url: stack().postgresUrl, poolMax: 4 });
  });

  afterAll(async () => {
    await pool.end();
    await withClient(stack().adminUrl, async (c) => {
      await c.query('DELETE FROM switchyard.decisions WHERE job_id = $1', [prefix]);
      await c.query('DELETE FROM switchyard.outcomes WHERE job_id = $1', [prefix]);
      await c.query('DELETE FROM switchyard.outcome_stats WHERE model = $1', [model]);
      await c.query('DELETE FROM switchyard.outcome_daily WHERE model = $1', [model]);
    });
  });

  const decision = (requestId: string, decidedAtMs: number, embedding: Float32Array | null): DecisionRecord => ({
    requestId,
    jobId: prefix,
    tenant: 't',
    outcome: 'routed',
    model,
    batchId: `${prefix}-b`,
    fallbackRank: 0,
    promptTokens: 10,
    estimatedTokens: 60,
    predictedQuality: 0.7,
    predictedCostUsd: 0.002,
    score: 0.5,
    dualPrice: 0,
    scores: [0.5],
    reason: null,
    deferUntilMs: null,
    deferrals: 0,
    policy: 'greedy-perf',
    routerInstance: 'r',
    sourceTopic: 'req',
    sourcePartition: 0,
    sourceOffset: '1',
    decidedAtMs,
    features: embedding === null ? null : { embedding: encodeEmbeddingInt8(embedding), rawQuality: 0.6, rawCostUsd: 0.001, rawOutputTokens: 42 },
  });

  const outcome = (requestId: string): OutcomeRecord => ({
    requestId,
    jobId: prefix,
    tenant: 't',
    model,
    batchId: `${prefix}-b`,
    segment: null,
    quality: 0.25,
    success: null,
    promptTokens: 10,
    completionTokens: 30,
    latencyMs: 5,
    error: null,
    costUsd: 0.003,
    costSource: 'reported',
    completedAtMs: Date.now(),
    sourceTopic: 'out',
    sourcePartition: 0,
    sourceOffset: '1',
  });

  /** Everything after `from` visible now, paging as the router does. */
  async function readAll(from: FeedbackWatermark): Promise<{ rows: FeedbackOutcome[]; next: FeedbackWatermark }> {
    const rows: FeedbackOutcome[] = [];
    let w = from;
    for (;;) {
      const page = await readFeedbackOutcomes(pool, w, 2, [model]);
      if (page.length === 0) return { rows, next: w };
      rows.push(...page);
      w = page[page.length - 1]!.watermark;
    }
  }

  it('stores decision features with the decision and reads them back joined to the outcome', async () => {
    const v = Float32Array.from({ length: 16 }, (_, i) => (i % 3) - 1);
    await recordDecisions(pool, [decision(`${prefix}-f1`, Date.now(), v)]);
    await recordOutcomes(pool, [outcome(`${prefix}-f1`)]);
    let got: FeedbackOutcome | undefined;
    await eventually('the outcome to be readable', async () => {
      got = (await readAll(FEEDBACK_START)).rows.find((r) => r.requestId === `${prefix}-f1`);
      return got !== undefined;
    });
    expect(got!.reward).toBe(0.25);
    expect(got!.costUsd).toBe(0.003);
    expect(got!.rawQuality).toBe(0.6);
    expect(got!.rawCostUsd).toBe(0.001);
    expect(got!.rawOutputTokens).toBe(42);
    expect(Array.from(decodeEmbeddingInt8(got!.embedding!))).toEqual(Array.from(v));
  });

  it('clears embeddings older than the retention and keeps newer ones', async () => {
    const v = Float32Array.of(1, 0, 0, 0);
    await recordDecisions(pool, [decision(`${prefix}-old`, Date.now() - 40 * DAY_MS, v), decision(`${prefix}-new`, Date.now() - 2 * DAY_MS, v)]);
    expect(await clearOldDecisionFeatures(pool, 30)).toBeGreaterThanOrEqual(1);
    const rows = await withClient(stack().adminUrl, async (c) =>
      (
        await c.query<{ request_id: string; has: boolean; raw_quality: number | null }>(
          `SELECT request_id, feature_embedding IS NOT NULL AS has, raw_quality FROM switchyard.decisions WHERE request_id = ANY($1) ORDER BY request_id`,
          [[`${prefix}-new`, `${prefix}-old`]],
        )
      ).rows,
    );
    expect(rows.map((r) => [r.request_id, r.has, r.raw_quality])).toEqual([
      [`${prefix}-new`, true, 0.6],
      [`${prefix}-old`, false, 0.6],
    ]);
  });

  it('does not skip an outcome whose transaction commits after a later one was read', async () => {
    // Everything of this model so far, so the watermark starts after it.
    const start = (await readAll(FEEDBACK_START)).next;
    const slow = await pool.connect();
    try {
      await slow.query('BEGIN');
      // The slow writer gets its transaction id first...
      await slow.query(
        `INSERT INTO switchyard.outcomes (request_id, job_id, model, batch_id, quality, reward, prompt_tokens, completion_tokens, latency_ms,
           completed_at, completed_at_ms, event_digest, source_topic, source_partition, source_offset)
         VALUES ($1, $2, $3, $4, 1, 1, 1, 1, 1, now(), 0, 'x', 'out', 0, 0)`,
        [`${prefix}-slow`, prefix, model, `${prefix}-b`],
      );
      // ...a fast writer commits after it.
      await recordOutcomes(pool, [outcome(`${prefix}-fast`)]);
      const early = await readAll(start);
      // Neither is handed out while the slow one is open: the fast one is newer than it.
      expect(early.rows.map((r) => r.requestId)).toEqual([]);
      expect(early.next).toEqual(start);
      await slow.query('COMMIT');
    } finally {
      slow.release();
    }
    const seen: string[] = [];
    let w = start;
    await eventually('both outcomes to be read', async () => {
      const r = await readAll(w);
      seen.push(...r.rows.map((x) => x.requestId));
      w = r.next;
      return seen.length >= 2;
    });
    expect(seen.sort()).toEqual([`${prefix}-fast`, `${prefix}-slow`]);
  });
});
