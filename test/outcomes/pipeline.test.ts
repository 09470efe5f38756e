// The feedback loop on the real stack: router -> executor-sim -> outcome-recorder, with topics,
// groups and models unique to this run. Checked on Postgres and on what read_committed readers
// see:
// - every routed request ends with exactly one outcome row, joined to its decision (same model
//   and batch), carrying the dataset's true quality for that model;
// - outcome_stats and outcome_daily equal aggregates recomputed from the outcome rows;
// - the whole outcomes topic replayed again (and stale versions of some events) changes nothing;
//   a newer version of one event replaces it and moves the statistics by exactly the difference;
// - malformed outcome events land in the dead-letter topic with their reason, and the recorder
//   keeps recording after them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admin, Consumer, IHeaders, Kafka, Producer } from 'kafkajs';
import { pino } from 'pino';
import { AvroSerde, contracts, createRegistryClient } from '@switchyard/contracts';
import type { DeadLetterV1, OutcomeV1, RequestV1 } from '@switchyard/contracts';
import { loadConfig } from '@switchyard/config';
import { generateSyntheticDataset } from '@switchyard/datasets';
import { OutcomeReporter } from '@switchyard/executor-kit';
import { compileExecutorSimConfig, parseExecutorSimConfig, startExecutorSim, SIMULATED_FAILURE } from '@switchyard/executor-sim';
import type { ExecutorSimHandle } from '@switchyard/executor-sim';
import { compileOutcomeRecorderConfig, parseOutcomeRecorderConfig, startOutcomeRecorder } from '@switchyard/outcome-recorder';
import type { OutcomeRecorderHandle } from '@switchyard/outcome-recorder';
import { compileRouterConfig, parseRouterServiceConfig, startRouter } from '@switchyard/router';
import type { RouterHandle } from '@switchyard/router';
import { createKafka, eventually, stack, uniqueName, withClient } from '../support/index.ts';

const N = 300;
const DATA = { nHistory: 20, nTest: N, models: 3, seed: 23 } as const;

interface RawOutcome {
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
}

describe('outcomes: router -> executor-sim -> outcome-recorder', () => {
  const prefix = uniqueName('oc');
  const models = [`${prefix}-a`, `${prefix}-b`, `${prefix}-c`];
  const jobId = `${prefix}-job`;
  const topics = {
    requests: `${prefix}.requests`,
    deferred: `${prefix}.deferred`,
    deadLetter: `${prefix}.dlq`,
    outcomes: `${prefix}.outcomes`,
    routedTemplate: `${prefix}.routed.{model}`,
  };
  const data = generateSyntheticDataset(DATA);
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let router: RouterHandle | undefined;
  let sim: ExecutorSimHandle | undefined;
  let recorder: OutcomeRecorderHandle | undefined;
  const consumers: Consumer[] = [];
  const logger = pino({ level: 'warn' });

  function shared(clientId: string) {
    const info = stack();
    return loadConfig(
      {},
      {
        kafka: { brokers: info.kafkaBrokers, clientId, retry: { initialDelayMs: 100, maxDelayMs: 2_000, maxRetries: 8 } },
        registry: { url: info.registryUrl },
        postgres: { connectionString: info.postgresUrl, maxConnections: 4 },
        topics: { ...topics, partitions: 3, replicationFactor: 1 },
        // Budgets far above the job: every request is routed at once.
        models: models.map((name, i) => ({
          name,
          tokensPerMinute: 50_000_000,
          maxBatchTokens: 4_000,
          maxBatchRequests: 16,
          costPer1kPromptTokensUsd: 0.001 * (i + 1),
          costPer1kCompletionTokensUsd: 0.002 * (i + 1),
        })),
        batching: { flushIntervalMs: 300 },
        workers: { poolSize: 1 },
        scoring: { backend: 'ts' },
        router: { instanceId: `${prefix}-r1`, policy: { policy: 'resolving-dual' } },
        log: { level: 'warn' },
      },
    );
  }

  beforeAll(async () => {
    kafka = createKafka(prefix);
    admin = kafka.admin();
    await admin.connect();
    const routerConfig = compileRouterConfig(
      shared(`${prefix}-router`),
      parseRouterServiceConfig({
        reference: { source: 'synthetic', nHistory: 600, seed: 5 },
        embedding: { dim: 64 },
        ann: { kind: 'exact', k: 5 },
        ledger: 'local',
        httpPort: 0,
        httpHost: '127.0.0.1',
      }),
    );
    router = await startRouter(routerConfig, { logger: logger.child({ service: 'router' }), defaultMetrics: false });
    sim = await startExecutorSim(
      compileExecutorSimConfig(
        shared(`${prefix}-sim`),
        parseExecutorSimConfig({
          dataset: { source: 'synthetic', nHistory: DATA.nHistory, nTest: DATA.nTest, seed: DATA.seed },
          latency: { kind: 'uniform', minMs: 1, maxMs: 40 },
          errorRate: 0.1,
          seed: 3,
          httpHost: '127.0.0.1',
          httpPort: 0,
        }),
      ),
      { logger: logger.child({ service: 'executor-sim' }) },
    );
    recorder = await startOutcomeRecorder(
      compileOutcomeRecorderConfig(shared(`${prefix}-rec`), parseOutcomeRecorderConfig({ httpPort: null, instanceId: `${prefix}-rec1` })),
      { logger: logger.child({ service: 'outcome-recorder' }) },
    );
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
  });

  afterAll(async () => {
    for (const c of consumers) await c.disconnect().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    await recorder?.stop();
    await sim?.stop();
    await router?.stop();
    const all = await admin.listTopics();
    await admin.deleteTopics({ topics: all.filter((t) => t.startsWith(prefix)) }).catch(() => undefined);
    await admin.disconnect();
    // The writer role may delete rows; it is all this cleanup needs.
    await withClient(stack().postgresUrl, async (c) => {
      await c.query('DELETE FROM switchyard.outcomes WHERE job_id LIKE $1', [`${prefix}%`]);
      await c.query('DELETE FROM switchyard.outcome_stats WHERE model LIKE $1', [`${prefix}%`]);
      await c.query('DELETE FROM switchyard.outcome_daily WHERE job_id LIKE $1', [`${prefix}%`]);
      await c.query('DELETE FROM switchyard.decisions WHERE job_id LIKE $1', [`${prefix}%`]);
    });
  });

  const pgUrl = (): string => stack().postgresUrl;

  async function snapshot(): Promise<{ outcomes: unknown[]; stats: unknown[]; daily: unknown[] }> {
    return withClient(pgUrl(), async (c) => ({
      outcomes: (await c.query('SELECT request_id, model, batch_id, reward, event_digest, versions, completed_at_ms FROM switchyard.outcomes WHERE job_id = $1 ORDER BY request_id', [jobId])).rows,
      stats: (await c.query('SELECT model, segment, n, n_errors, n_reward, sum_reward, sum_reward_sq, sum_prompt_tokens, sum_completion_tokens, sum_latency_ms, n_cost, sum_cost_usd FROM switchyard.outcome_stats WHERE model LIKE $1 ORDER BY model, segment', [`${prefix}%`])).rows,
      daily: (await c.query('SELECT day, job_id, tenant, model, n, n_errors, n_reward, sum_reward, sum_prompt_tokens, sum_completion_tokens, sum_latency_ms, n_cost, sum_cost_usd FROM switchyard.outcome_daily WHERE job_id LIKE $1 ORDER BY day, job_id, tenant, model', [`${prefix}%`])).rows,
    }));
  }

  /** Aggregates recomputed from the outcome rows must equal the incrementally maintained ones. */
  async function expectStatsConsistent(): Promise<void> {
    await withClient(pgUrl(), async (c) => {
      const { rows } = await c.query(
        `WITH o AS (SELECT * FROM switchyard.outcomes WHERE model LIKE $1),
         want AS (
           SELECT model, seg AS segment, count(*) AS n, count(*) FILTER (WHERE error IS NOT NULL) AS n_errors,
             count(reward) AS n_reward, coalesce(sum(reward::numeric), 0) AS sum_reward,
             coalesce(sum(reward::numeric * reward::numeric), 0) AS sum_reward_sq,
             sum(prompt_tokens) AS sum_prompt_tokens, sum(completion_tokens) AS sum_completion_tokens,
             sum(latency_ms) AS sum_latency_ms, count(cost_usd) AS n_cost, coalesce(sum(cost_usd::numeric), 0) AS sum_cost_usd
           FROM o CROSS JOIN LATERAL (VALUES ('*'), (o.segment)) s(seg) WHERE seg IS NOT NULL GROUP BY model, seg)
         SELECT coalesce(w.model, s.model) AS model, coalesce(w.segment, s.segment) AS segment
         FROM want w FULL JOIN (SELECT * FROM switchyard.outcome_stats WHERE model LIKE $1 AND n > 0) s USING (model, segment)
         WHERE w.n IS DISTINCT FROM s.n OR w.n_errors IS DISTINCT FROM s.n_errors OR w.n_reward IS DISTINCT FROM s.n_reward
           OR w.sum_reward IS DISTINCT FROM s.sum_reward OR w.sum_reward_sq IS DISTINCT FROM s.sum_reward_sq
           OR w.sum_prompt_tokens IS DISTINCT FROM s.sum_prompt_tokens OR w.sum_completion_tokens IS DISTINCT FROM s.sum_completion_tokens
           OR w.sum_latency_ms IS DISTINCT FROM s.sum_latency_ms OR w.n_cost IS DISTINCT FROM s.n_cost OR w.sum_cost_usd IS DISTINCT FROM s.sum_cost_usd`,
        [`${prefix}%`],
      );
      expect(rows).toEqual([]);
      const daily = await c.query(
        `WITH want AS (
           SELECT (completed_at AT TIME ZONE 'UTC')::date AS day, job_id, coalesce(tenant, '') AS tenant, model,
             count(*) AS n, coalesce(sum(reward::numeric), 0) AS sum_reward, sum(completion_tokens) AS sum_completion_tokens
           FROM switchyard.outcomes WHERE job_id LIKE $1 GROUP BY 1, 2, 3, 4)
         SELECT * FROM want w FULL JOIN (SELECT * FROM switchyard.outcome_daily WHERE job_id LIKE $1 AND n > 0) d USING (day, job_id, tenant, model)
         WHERE w.n IS DISTINCT FROM d.n OR w.sum_reward IS DISTINCT FROM d.sum_reward OR w.sum_completion_tokens IS DISTINCT FROM d.sum_completion_tokens`,
        [`${prefix}%`],
      );
      expect(daily.rows).toEqual([]);
    });
  }

  async function readAll<T>(topic: string, count: (items: T[]) => boolean, decode: (m: RawOutcome) => Promise<T | null>): Promise<T[]> {
    const items: T[] = [];
    const reader = kafka.consumer({ groupId: uniqueName('oc-reader'), readUncommitted: false });
    consumers.push(reader);
    await reader.connect();
    await reader.subscribe({ topics: [topic], fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => {
        const item = await decode({ key: message.key, value: message.value, headers: message.headers ?? {} });
        if (item !== null) items.push(item);
      },
    });
    await eventually(`records of ${topic}`, () => count(items), 60_000);
    await reader.disconnect();
    return items;
  }

  it("serves the executors' ops endpoints: ready, with the failure-signal gauges", async () => {
    expect(sim!.httpPort).not.toBeNull();
    const base = `http://127.0.0.1:${sim!.httpPort}`;
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ok: true, failing: [] });
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/^switchyard_ready 1$/m);
    expect(text).toMatch(/^switchyard_dependency_failing_seconds\{dependency="kafka"\} 0$/m);
  });

  it('records one outcome per routed request, joined to its decision, with the true quality', async () => {
    const registry = createRegistryClient({ url: stack().registryUrl });
    const serde = await AvroSerde.forTopic(registry, topics.requests, contracts.request);
    const now = Date.now();
    const requests: RequestV1[] = data.test.map((q, i) => ({
      requestId: `${prefix}-r${i}`,
      jobId,
      tenant: `${prefix}-t${i % 2}`,
      prompt: q.prompt,
      embedding: null,
      promptTokens: null,
      maxOutputTokens: 512,
      priority: 0,
      deadline: null,
      allowedModels: null,
      metadata: { datasetId: q.id, task: q.task },
      submittedAt: now,
    }));
    await producer.send({ topic: topics.requests, messages: requests.map((r) => ({ key: r.requestId, value: serde.encode(r) })) });

    await eventually(
      'an outcome for every request',
      async () => withClient(pgUrl(), async (c) => Number((await c.query('SELECT count(*) AS n FROM switchyard.outcomes WHERE job_id = $1', [jobId])).rows[0].n) >= N),
      120_000,
    );

    await withClient(pgUrl(), async (c) => {
      const joined = await c.query(
        `SELECT d.request_id, d.outcome AS decision, d.model AS routed_model, d.batch_id AS routed_batch,
                o.model, o.batch_id, o.segment, o.quality, o.error, o.reward, o.completion_tokens, o.cost_usd, o.cost_source, o.tenant
         FROM switchyard.decisions d FULL JOIN switchyard.outcomes o USING (request_id)
         WHERE d.job_id = $1 OR o.job_id = $1`,
        [jobId],
      );
      expect(joined.rows).toHaveLength(N);
      const byQuery = new Map(data.test.map((q, i) => [`${prefix}-r${i}`, q]));
      let failures = 0;
      for (const row of joined.rows) {
        expect(row.decision, row.request_id).toBe('routed');
        expect(row.model).toBe(row.routed_model);
        expect(row.batch_id).toBe(row.routed_batch);
        const q = byQuery.get(row.request_id)!;
        expect(row.segment).toBe(q.task);
        expect(row.tenant).toMatch(new RegExp(`^${prefix}-t[01]$`));
        if (row.error === null) {
          // Synthetic models are matched to configured ones by position.
          const column = models.indexOf(row.model);
          const truth = q.quality[column]!;
          expect(row.quality).toBe(Number.isNaN(truth) ? 0 : truth);
          expect(row.reward).toBe(row.quality);
          expect(row.cost_source).toBe('reported');
        } else {
          failures++;
          expect(row.error).toBe(SIMULATED_FAILURE);
          expect(row.reward).toBe(0);
        }
      }
      // errorRate 0.1 over 300 draws: some, not most.
      expect(failures).toBeGreaterThan(0);
      expect(failures).toBeLessThan(N / 2);
    });
    await expectStatsConsistent();
    expect(recorder!.counts().deadLettered).toBe(0);
  });

  it('ignores the whole outcomes topic replayed and stale versions; a newer version replaces exactly one row', async () => {
    const before = await snapshot();
    const consumedBefore = recorder!.counts().consumed;
    const registry = createRegistryClient({ url: stack().registryUrl });
    const outcomeSerde = await AvroSerde.forTopic(registry, topics.outcomes, contracts.outcome);
    const raw = await readAll<RawOutcome>(topics.outcomes, (items) => items.length >= N, async (m) => m);
    expect(raw).toHaveLength(N);

    // Every event again, in reverse order, plus an older (stale) variant of the first 20.
    const decoded: { raw: RawOutcome; outcome: OutcomeV1 }[] = [];
    for (const r of raw) {
      const d = await outcomeSerde.decode(r.value);
      if (!d.ok) throw new Error(d.detail);
      decoded.push({ raw: r, outcome: d.value });
    }
    const stale = decoded.slice(0, 20).map(({ raw: r, outcome }) => ({
      key: r.key,
      value: outcomeSerde.encode({ ...outcome, completedAt: outcome.completedAt - 60_000, quality: 0.5, error: null }),
      headers: r.headers,
    }));
    const replay = [...raw].reverse().map((r) => ({ key: r.key, value: r.value, headers: r.headers }));
    await producer.send({ topic: topics.outcomes, messages: [...replay, ...stale] });
    await eventually('the replay consumed', () => recorder!.counts().consumed >= consumedBefore + N + stale.length, 60_000);
    expect(await snapshot()).toEqual(before);
    expect(recorder!.counts().duplicates).toBeGreaterThanOrEqual(N);
    expect(recorder!.counts().stale).toBeGreaterThanOrEqual(stale.length);

    // A newer version of one event replaces it; the statistics follow exactly.
    const target = decoded.find((d) => d.outcome.error === null)!;
    const newer: OutcomeV1 = { ...target.outcome, completedAt: target.outcome.completedAt + 1_000, quality: target.outcome.quality === 1 ? 0 : 1 };
    await producer.send({ topic: topics.outcomes, messages: [{ key: target.raw.key, value: outcomeSerde.encode(newer), headers: target.raw.headers }] });
    await eventually('the newer version recorded', () => recorder!.counts().replaced >= 1, 60_000);
    const after = await snapshot();
    const row = (after.outcomes as { request_id: string; versions: number; reward: number }[]).find((r) => r.request_id === newer.requestId)!;
    expect(row.versions).toBe(2);
    expect(row.reward).toBe(newer.quality);
    expect(after.outcomes).toHaveLength(N);
    await expectStatsConsistent();
    const modelRow = (s: { stats: unknown[] }) => (s.stats as { model: string; segment: string; n: string }[]).find((r) => r.model === newer.model && r.segment === '*')!;
    expect(modelRow(after).n).toBe(modelRow(before).n);
  });

  it('dead-letters malformed outcome events and keeps recording', async () => {
    const registry = createRegistryClient({ url: stack().registryUrl });
    const outcomeSerde = await AvroSerde.forTopic(registry, topics.outcomes, contracts.outcome);
    const good: OutcomeV1 = {
      requestId: `${prefix}-late`,
      jobId,
      tenant: `${prefix}-t0`,
      model: models[0]!,
      batchId: `${prefix}-batch-x`,
      quality: 0.25,
      success: null,
      promptTokens: 10,
      completionTokens: 20,
      latencyMs: 5,
      error: null,
      costUsd: null,
      completedAt: Date.now(),
    };
    const bad = [
      { key: `${prefix}-garbage`, value: Buffer.from('not an outcome'), reason: 'undecodable' },
      { key: `${prefix}-model`, value: outcomeSerde.encode({ ...good, requestId: `${prefix}-model`, model: 'no-such-model' }), reason: 'unknown_model' },
      { key: `${prefix}-range`, value: outcomeSerde.encode({ ...good, requestId: `${prefix}-range`, quality: 1.5 }), reason: 'invalid_field' },
    ];
    await producer.send({ topic: topics.outcomes, messages: bad.map((b) => ({ key: b.key, value: b.value })) });
    // The valid one through the executor kit's one-call reporter, as an external executor would.
    const reporter = await OutcomeReporter.create({ kafka, registry, topic: topics.outcomes });
    try {
      expect(await reporter.report({ ...good, quality: 2 }, { segment: 'task-late' })).toMatchObject({ ok: false, reason: 'invalid_outcome' });
      expect(await reporter.report(good, { segment: '*' })).toMatchObject({ ok: false, reason: 'invalid_segment' });
      expect(await reporter.report(good, { segment: 'task-late' })).toEqual({ ok: true });
    } finally {
      await reporter.close();
    }
    const deadLetterSerde = await AvroSerde.forTopic(registry, topics.deadLetter, contracts.deadLetter);
    const dead = await readAll<DeadLetterV1>(topics.deadLetter, (items) => items.length >= bad.length, async (m) => {
      const d = await deadLetterSerde.decode(m.value);
      return d.ok ? d.value : null;
    });
    expect(dead.map((d) => [d.originalKey?.toString('utf8'), d.reason, d.sourceTopic]).sort()).toEqual(bad.map((b) => [b.key, b.reason, topics.outcomes]).sort());
    for (const d of dead) expect(d.originalValue).toEqual(bad.find((b) => b.key === d.originalKey?.toString('utf8'))!.value);

    // No decision exists for this request: the outcome is still recorded (the join is by id,
    // in views), with a cost derived from the configured prices.
    await eventually('the valid outcome after the bad ones', async () =>
      withClient(pgUrl(), async (c) => (await c.query('SELECT 1 FROM switchyard.outcomes WHERE request_id = $1', [good.requestId])).rowCount === 1),
    );
    await withClient(pgUrl(), async (c) => {
      const { rows } = await c.query('SELECT segment, cost_usd, cost_source FROM switchyard.outcomes WHERE request_id = $1', [good.requestId]);
      expect(rows[0]).toEqual({ segment: 'task-late', cost_usd: (10 * 0.001 + 20 * 0.002) / 1_000, cost_source: 'derived' });
      const invalid = await c.query('SELECT count(*)::int AS n FROM switchyard.outcomes WHERE request_id = ANY($1)', [[`${prefix}-model`, `${prefix}-range`]]);
      expect(invalid.rows[0].n).toBe(0);
    });
    await expectStatsConsistent();
  });
});
