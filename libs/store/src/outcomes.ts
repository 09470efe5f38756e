// Outcomes of executed requests, written idempotently by request id together with the running
// statistics the router reads back (switchyard.outcome_stats) and the daily rollup analysts
// query (switchyard.outcome_daily), in one transaction.
//
// Versions: an executor may report a request more than once. Of all events for a request the
// table keeps the greatest in the order (completedAtMs, digest) (compareOutcomeVersions): an
// identical event is a duplicate, a smaller one is stale, a greater one replaces the row. The
// order is total, so any arrival order ends in the same rows. Statistics move by the
// difference a write makes (a replacement subtracts the old row and adds the new one), inside
// the same transaction, so a duplicate or a replayed Kafka batch never counts twice.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { asStoreError } from './decisions.ts';
import type { Queryable } from './decisions.ts';
import { inTransaction, withPooledClient, type ClientSource } from './pool.ts';
import { insertResults, resultOf } from './results.ts';

export type CostSource = 'reported' | 'derived';

export interface OutcomeRecord {
  readonly requestId: string;
  readonly jobId: string;
  readonly tenant: string | null;
  readonly model: string;
  readonly batchId: string;
  /** Task or cluster of the request (statistics are kept per model and per model and segment); null when unknown. */
  readonly segment: string | null;
  readonly quality: number | null;
  readonly success: boolean | null;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly latencyMs: number;
  readonly error: string | null;
  readonly costUsd: number | null;
  /** `reported` by the executor or `derived` from tokens and configured prices; null when costUsd is null. */
  readonly costSource: CostSource | null;
  readonly completedAtMs: number;
  readonly sourceTopic: string;
  readonly sourcePartition: number;
  /** int64 as a decimal string. */
  readonly sourceOffset: string;
  /** The answer handed back (switchyard.results, first write wins; response: JSON text); absent for v1 events. */
  readonly customId?: string | null;
  readonly statusCode?: number | null;
  readonly response?: string | null;
}

export type OutcomeWriteKind = 'inserted' | 'replaced' | 'duplicate' | 'stale';

export interface RecordOutcomesResult {
  readonly inserted: number;
  readonly replaced: number;
  readonly duplicates: number;
  readonly stale: number;
  /** What happened to each request id of the call (the last event per id within the call). */
  readonly byRequest: ReadonlyMap<string, OutcomeWriteKind>;
  readonly resultsInserted: number; // new rows in switchyard.results
}

/** A pool: recordOutcomes needs one client for the length of its transaction. */
export type OutcomeDb = ClientSource;

/** Segment value the statistics use for "all outcomes of the model". */
export const ALL_SEGMENTS = '*';
export const MAX_SEGMENT_CHARS = 128;

/**
 * The reward the router learns from, in [0, 1]: the observed quality, else 1/0 from the
 * success flag, else 0 when the execution failed (a failed call is the worst outcome for a
 * routing decision), else unknown (null: counted in n but not in the reward sums).
 */
export function rewardOf(r: Pick<OutcomeRecord, 'quality' | 'success' | 'error'>): number | null {
  if (r.quality !== null) return r.quality;
  if (r.success !== null) return r.success ? 1 : 0;
  return r.error !== null ? 0 : null;
}

/** sha256 of the event's content (not of where it was read from): equal for redeliveries of one event. */
export function outcomeDigest(r: OutcomeRecord): string {
  const content = [
    r.requestId, r.jobId, r.tenant, r.model, r.batchId, r.segment, r.quality, r.success, r.promptTokens,
    r.completionTokens, r.latencyMs, r.error, r.costUsd, r.costSource, r.completedAtMs,
  ];
  return createHash('sha256').update(JSON.stringify(content)).digest('hex');
}

export interface OutcomeVersion {
  readonly completedAtMs: number;
  readonly digest: string;
}

/** Total order of the events of one request; the greatest is the one kept. */
export function compareOutcomeVersions(a: OutcomeVersion, b: OutcomeVersion): number {
  if (a.completedAtMs !== b.completedAtMs) return a.completedAtMs < b.completedAtMs ? -1 : 1;
  return a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0;
}

/** What writing `incoming` over `stored` (null: no row yet) does. Pure; the transaction applies it. */
export function classifyOutcomeWrite(stored: OutcomeVersion | null, incoming: OutcomeVersion): OutcomeWriteKind {
  if (stored === null) return 'inserted';
  const c = compareOutcomeVersions(incoming, stored);
  return c === 0 ? 'duplicate' : c < 0 ? 'stale' : 'replaced';
}

/** Checks a segment value before it reaches the table's CHECK constraint. */
export function isValidSegment(segment: string): boolean {
  return segment !== ALL_SEGMENTS && segment.length >= 1 && segment.length <= MAX_SEGMENT_CHARS;
}

interface Prepared {
  readonly record: OutcomeRecord;
  readonly digest: string;
  readonly reward: number | null;
}

/** One row's contribution to the statistics, with the sign of the change. */
interface StatChange {
  readonly sign: 1 | -1;
  readonly model: string;
  readonly segment: string | null;
  readonly jobId: string;
  readonly tenant: string | null;
  readonly reward: number | null;
  readonly isError: boolean;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly latencyMs: number;
  readonly costUsd: number | null;
  readonly completedAtMs: number;
}

interface StoredRow {
  request_id: string;
  job_id: string;
  tenant: string | null;
  model: string;
  segment: string | null;
  reward: number | null;
  is_error: boolean;
  prompt_tokens: number;
  completion_tokens: number;
  latency_ms: string;
  cost_usd: number | null;
  completed_at_ms: string;
  event_digest: string;
}

const COLUMNS = `request_id, job_id, tenant, model, batch_id, segment, quality, success, reward,
  prompt_tokens, completion_tokens, latency_ms, error, cost_usd, cost_source, completed_at_ms,
  event_digest, source_topic, source_partition, source_offset`;

const UNNEST = `unnest(
    $1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::float8[],
    $8::boolean[], $9::float8[], $10::int[], $11::int[], $12::bigint[], $13::text[],
    $14::float8[], $15::text[], $16::bigint[], $17::text[], $18::text[], $19::int[], $20::bigint[]
  ) AS r(${COLUMNS})`;

const INSERT = `
  INSERT INTO switchyard.outcomes (${COLUMNS}, completed_at)
  SELECT ${COLUMNS}, to_timestamp(completed_at_ms / 1000.0)
  FROM ${UNNEST}
  ORDER BY request_id
  ON CONFLICT (request_id) DO NOTHING
  RETURNING request_id`;

const LOCK_EXISTING = `
  SELECT request_id, job_id, tenant, model, segment, reward, error IS NOT NULL AS is_error,
    prompt_tokens, completion_tokens, latency_ms, cost_usd, completed_at_ms, event_digest
  FROM switchyard.outcomes
  WHERE request_id = ANY($1::text[])
  ORDER BY request_id
  FOR UPDATE`;

const REPLACE = `
  UPDATE switchyard.outcomes AS o SET
    job_id = r.job_id, tenant = r.tenant, model = r.model, batch_id = r.batch_id,
    segment = r.segment, quality = r.quality, success = r.success, reward = r.reward,
    prompt_tokens = r.prompt_tokens, completion_tokens = r.completion_tokens,
    latency_ms = r.latency_ms, error = r.error, cost_usd = r.cost_usd, cost_source = r.cost_source,
    completed_at = to_timestamp(r.completed_at_ms / 1000.0), completed_at_ms = r.completed_at_ms,
    event_digest = r.event_digest, source_topic = r.source_topic,
    source_partition = r.source_partition, source_offset = r.source_offset,
    versions = o.versions + 1, updated_at = now()
  FROM ${UNNEST}
  WHERE o.request_id = r.request_id`;

const CHANGES = `unnest(
    $1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::boolean[],
    $8::int[], $9::int[], $10::bigint[], $11::float8[], $12::bigint[]
  ) AS c(sign, model, segment, job_id, tenant, reward, is_error, prompt_tokens,
    completion_tokens, latency_ms, cost_usd, completed_at_ms)`;

// float8 -> numeric is a deterministic decimal conversion, and numeric addition is exact, so
// subtracting a replaced row's reward cancels its earlier addition to the last digit.
const SUMS = `
    sum(sign) AS n,
    sum(CASE WHEN is_error THEN sign ELSE 0 END) AS n_errors,
    sum(CASE WHEN reward IS NULL THEN 0 ELSE sign END) AS n_reward,
    coalesce(sum(sign * reward::numeric), 0) AS sum_reward,
    %SQ%
    coalesce(sum(sign * prompt_tokens::bigint), 0) AS sum_prompt_tokens,
    coalesce(sum(sign * completion_tokens::bigint), 0) AS sum_completion_tokens,
    coalesce(sum(sign * latency_ms), 0) AS sum_latency_ms,
    sum(CASE WHEN cost_usd IS NULL THEN 0 ELSE sign END) AS n_cost,
    coalesce(sum(sign * cost_usd::numeric), 0) AS sum_cost_usd`;

const ADD_SUMS = `
    n = t.n + EXCLUDED.n, n_errors = t.n_errors + EXCLUDED.n_errors,
    n_reward = t.n_reward + EXCLUDED.n_reward, sum_reward = t.sum_reward + EXCLUDED.sum_reward,
    sum_prompt_tokens = t.sum_prompt_tokens + EXCLUDED.sum_prompt_tokens,
    sum_completion_tokens = t.sum_completion_tokens + EXCLUDED.sum_completion_tokens,
    sum_latency_ms = t.sum_latency_ms + EXCLUDED.sum_latency_ms,
    n_cost = t.n_cost + EXCLUDED.n_cost, sum_cost_usd = t.sum_cost_usd + EXCLUDED.sum_cost_usd`;

// Rows are upserted in key order so two recorders touching the same statistics rows take
// their locks in the same order and cannot deadlock.
const APPLY_STATS = `
  INSERT INTO switchyard.outcome_stats AS t (model, segment, n, n_errors, n_reward, sum_reward,
    sum_reward_sq, sum_prompt_tokens, sum_completion_tokens, sum_latency_ms, n_cost, sum_cost_usd)
  SELECT c.model, s.seg, ${SUMS.replace('%SQ%', 'coalesce(sum(sign * reward::numeric * reward::numeric), 0) AS sum_reward_sq,')}
  FROM ${CHANGES}
  CROSS JOIN LATERAL (VALUES ('${ALL_SEGMENTS}'::text), (c.segment)) AS s(seg)
  WHERE s.seg IS NOT NULL
  GROUP BY c.model, s.seg
  ORDER BY c.model, s.seg
  ON CONFLICT (model, segment) DO UPDATE SET ${ADD_SUMS},
    sum_reward_sq = t.sum_reward_sq + EXCLUDED.sum_reward_sq, updated_at = now()`;

const APPLY_DAILY = `
  INSERT INTO switchyard.outcome_daily AS t (day, job_id, tenant, model, n, n_errors, n_reward,
    sum_reward, sum_prompt_tokens, sum_completion_tokens, sum_latency_ms, n_cost, sum_cost_usd)
  SELECT (to_timestamp(c.completed_at_ms / 1000.0) AT TIME ZONE 'UTC')::date AS day,
    c.job_id, coalesce(c.tenant, '') AS tenant, c.model, ${SUMS.replace('%SQ%', '')}
  FROM ${CHANGES}
  GROUP BY 1, 2, 3, 4
  ORDER BY 1, 2, 3, 4
  ON CONFLICT (day, job_id, tenant, model) DO UPDATE SET ${ADD_SUMS}`;

function finiteOrNull(v: number | null): number | null {
  return v !== null && Number.isFinite(v) ? v : null;
}

function rowParams(rows: readonly Prepared[]): unknown[] {
  const col = <T>(f: (p: Prepared) => T): T[] => rows.map(f);
  return [
    col((p) => p.record.requestId),
    col((p) => p.record.jobId),
    col((p) => p.record.tenant),
    col((p) => p.record.model),
    col((p) => p.record.batchId),
    col((p) => p.record.segment),
    col((p) => finiteOrNull(p.record.quality)),
    col((p) => p.record.success),
    col((p) => p.reward),
    col((p) => p.record.promptTokens),
    col((p) => p.record.completionTokens),
    col((p) => p.record.latencyMs),
    col((p) => p.record.error),
    col((p) => finiteOrNull(p.record.costUsd)),
    col((p) => (finiteOrNull(p.record.costUsd) === null ? null : p.record.costSource)),
    col((p) => p.record.completedAtMs),
    col((p) => p.digest),
    col((p) => p.record.sourceTopic),
    col((p) => p.record.sourcePartition),
    col((p) => p.record.sourceOffset),
  ];
}

function changeOf(sign: 1 | -1, p: Prepared): StatChange {
  const r = p.record;
  return {
    sign,
    model: r.model,
    segment: r.segment,
    jobId: r.jobId,
    tenant: r.tenant,
    reward: p.reward,
    isError: r.error !== null,
    promptTokens: r.promptTokens,
    completionTokens: r.completionTokens,
    latencyMs: r.latencyMs,
    costUsd: finiteOrNull(r.costUsd),
    completedAtMs: r.completedAtMs,
  };
}

function storedChange(s: StoredRow): StatChange {
  return {
    sign: -1,
    model: s.model,
    segment: s.segment,
    jobId: s.job_id,
    tenant: s.tenant,
    reward: s.reward,
    isError: s.is_error,
    promptTokens: s.prompt_tokens,
    completionTokens: s.completion_tokens,
    latencyMs: Number(s.latency_ms),
    costUsd: s.cost_usd,
    completedAtMs: Number(s.completed_at_ms),
  };
}

function changeParams(changes: readonly StatChange[]): unknown[] {
  const col = <T>(f: (c: StatChange) => T): T[] => changes.map(f);
  return [
    col((c) => c.sign),
    col((c) => c.model),
    col((c) => c.segment),
    col((c) => c.jobId),
    col((c) => c.tenant),
    col((c) => c.reward),
    col((c) => c.isError),
    col((c) => c.promptTokens),
    col((c) => c.completionTokens),
    col((c) => c.latencyMs),
    col((c) => c.costUsd),
    col((c) => c.completedAtMs),
  ];
}

/**
 * Keeps, per request id, the greatest event of the call; the others are counted as duplicates
 * (same digest) or stale. Pure.
 */
export function latestPerRequest(rows: readonly OutcomeRecord[]): { kept: Prepared[]; duplicates: number; stale: number } {
  const best = new Map<string, Prepared>();
  let duplicates = 0;
  let stale = 0;
  for (const record of rows) {
    const p: Prepared = { record, digest: outcomeDigest(record), reward: rewardOf(record) };
    const prev = best.get(record.requestId);
    if (prev === undefined) {
      best.set(record.requestId, p);
      continue;
    }
    const kind = classifyOutcomeWrite({ completedAtMs: prev.record.completedAtMs, digest: prev.digest }, { completedAtMs: record.completedAtMs, digest: p.digest });
    if (kind === 'duplicate') duplicates++;
    else stale++;
    if (kind === 'replaced') best.set(record.requestId, p);
  }
  const kept = [...best.values()].sort((a, b) => (a.record.requestId < b.record.requestId ? -1 : a.record.requestId > b.record.requestId ? 1 : 0));
  return { kept, duplicates, stale };
}

/**
 * Records outcomes in one transaction: new request ids are inserted, newer events replace
 * older ones, duplicates and stale events change nothing, and outcome_stats / outcome_daily
 * move by exactly the difference. Safe to call again with the same rows (a replayed Kafka
 * batch): everything is then a duplicate. Concurrent callers with overlapping request ids are
 * serialised by the primary key (an insert waits for the other transaction, then conflicts).
 */
export async function recordOutcomes(db: OutcomeDb, rows: readonly OutcomeRecord[]): Promise<RecordOutcomesResult> {
  const { kept, duplicates: dupInCall, stale: staleInCall } = latestPerRequest(rows);
  const byRequest = new Map<string, OutcomeWriteKind>();
  if (kept.length === 0) return { inserted: 0, replaced: 0, duplicates: dupInCall, stale: staleInCall, byRequest, resultsInserted: 0 };
  let duplicates = dupInCall;
  let stale = staleInCall;
  const changes: StatChange[] = [];
  const replacements: Prepared[] = [];
  let insertedCount = 0;
  let resultsInserted = 0;
  let connected = false;
  try {
    await withPooledClient(db, async (client) => {
      connected = true;
      await inTransaction(client, async () => {
        const inserted = await client.query<{ request_id: string }>(INSERT, rowParams(kept));
        const insertedIds = new Set(inserted.rows.map((r) => r.request_id));
        const rest = kept.filter((p) => !insertedIds.has(p.record.requestId));
        for (const p of kept) {
          if (!insertedIds.has(p.record.requestId)) continue;
          insertedCount++;
          byRequest.set(p.record.requestId, 'inserted');
          changes.push(changeOf(1, p));
        }
        if (rest.length > 0) {
          const stored = await client.query<StoredRow>(LOCK_EXISTING, [rest.map((p) => p.record.requestId)]);
          const storedById = new Map(stored.rows.map((s) => [s.request_id, s]));
          const vanished: Prepared[] = [];
          for (const p of rest) {
            const s = storedById.get(p.record.requestId);
            if (s === undefined) {
              // Deleted between our insert and the lock (only maintenance deletes outcomes).
              vanished.push(p);
              continue;
            }
            const kind = classifyOutcomeWrite({ completedAtMs: Number(s.completed_at_ms), digest: s.event_digest }, { completedAtMs: p.record.completedAtMs, digest: p.digest });
            byRequest.set(p.record.requestId, kind);
            if (kind === 'duplicate') duplicates++;
            else if (kind === 'stale') stale++;
            else {
              replacements.push(p);
              changes.push(storedChange(s), changeOf(1, p));
            }
          }
          if (vanished.length > 0) {
            const again = await client.query<{ request_id: string }>(INSERT, rowParams(vanished));
            const ids = new Set(again.rows.map((r) => r.request_id));
            for (const p of vanished) {
              if (!ids.has(p.record.requestId)) continue;
              insertedCount++;
              byRequest.set(p.record.requestId, 'inserted');
              changes.push(changeOf(1, p));
            }
          }
          if (replacements.length > 0) await client.query(REPLACE, rowParams(replacements));
        }
        if (changes.length > 0) {
          const params = changeParams(changes);
          await client.query(APPLY_STATS, params);
          await client.query(APPLY_DAILY, params);
        }
        // In the same transaction: an outcome is never recorded without its answer.
        resultsInserted = await insertResults(client, rows.map(resultOf));
      });
    });
  } catch (cause) {
    throw asStoreError(cause, connected ? `recording ${kept.length} outcomes` : 'connecting to record outcomes');
  }
  return { inserted: insertedCount, replaced: replacements.length, duplicates, stale, byRequest, resultsInserted };
}

export interface OutcomeStats {
  readonly model: string;
  /** ALL_SEGMENTS ('*') for every outcome of the model. */
  readonly segment: string;
  readonly n: number;
  readonly nErrors: number;
  /** Outcomes with a known reward; the mean and variance are over these. */
  readonly nReward: number;
  readonly meanReward: number | null;
  /** Unbiased sample variance of the reward; null below two rewards. */
  readonly rewardVariance: number | null;
  readonly meanPromptTokens: number | null;
  readonly meanCompletionTokens: number | null;
  readonly meanLatencyMs: number | null;
  readonly meanCostUsd: number | null;
}

interface StatsRow {
  model: string;
  segment: string;
  n: string;
  n_errors: string;
  n_reward: string;
  mean_reward: number | null;
  reward_variance: number | null;
  mean_prompt_tokens: number | null;
  mean_completion_tokens: number | null;
  mean_latency_ms: number | null;
  mean_cost_usd: number | null;
}

// Means and the variance are computed in numeric from the exact sums and only then rounded to
// float8 (sum_sq - sum^2/n would lose digits in float8 when the mean is large).
const READ_STATS = `
  SELECT model, segment, n, n_errors, n_reward,
    (sum_reward / NULLIF(n_reward, 0))::float8 AS mean_reward,
    CASE WHEN n_reward > 1 THEN greatest(0, (sum_reward_sq - sum_reward * sum_reward / n_reward) / (n_reward - 1))::float8 END AS reward_variance,
    (sum_prompt_tokens::numeric / NULLIF(n, 0))::float8 AS mean_prompt_tokens,
    (sum_completion_tokens::numeric / NULLIF(n, 0))::float8 AS mean_completion_tokens,
    (sum_latency_ms::numeric / NULLIF(n, 0))::float8 AS mean_latency_ms,
    (sum_cost_usd / NULLIF(n_cost, 0))::float8 AS mean_cost_usd
  FROM switchyard.outcome_stats
  WHERE ($1::text[] IS NULL OR model = ANY($1::text[])) AND n > 0
  ORDER BY model, segment`;

/** Running per-model and per-(model, segment) statistics, for the router's periodic refresh. */
export async function readOutcomeStats(db: Queryable, filter: { readonly models?: readonly string[] } = {}): Promise<OutcomeStats[]> {
  let res: pg.QueryResult<StatsRow>;
  try {
    res = await db.query<StatsRow>(READ_STATS, [filter.models === undefined ? null : [...filter.models]]);
  } catch (cause) {
    throw asStoreError(cause, 'reading outcome statistics');
  }
  return res.rows.map((r) => ({
    model: r.model,
    segment: r.segment,
    n: Number(r.n),
    nErrors: Number(r.n_errors),
    nReward: Number(r.n_reward),
    meanReward: r.mean_reward,
    rewardVariance: r.reward_variance,
    meanPromptTokens: r.mean_prompt_tokens,
    meanCompletionTokens: r.mean_completion_tokens,
    meanLatencyMs: r.mean_latency_ms,
    meanCostUsd: r.mean_cost_usd,
  }));
}
