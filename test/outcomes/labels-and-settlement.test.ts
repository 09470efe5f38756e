// Outcomes settle dollar reservations, and late labels flow through the outcomes path, on the
// real stack (outcome recorder, Kafka, registry, Postgres), with topics unique to this run:
// - requests reserved in the dollar ledger are settled to the true cost their outcome reports,
//   once, however often the outcome is replayed;
// - `switchyard label` (custom_id and request_id) replaces the outcome's quality, moves the
//   statistics by the difference, keeps the executor's quality beside the label for analysts,
//   a second label replaces the first, and running the same file again changes nothing.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admin, Kafka } from 'kafkajs';
import { pino } from 'pino';
import { loadConfig } from '@switchyard/config';
import { createRegistryClient, sampleOutcome } from '@switchyard/contracts';
import { OutcomeReporter } from '@switchyard/executor-kit';
import { compileOutcomeRecorderConfig, parseOutcomeRecorderConfig, startOutcomeRecorder } from '@switchyard/outcome-recorder';
import type { OutcomeRecorderHandle } from '@switchyard/outcome-recorder';
import { createPool, readUsdBudgets, reserveUsd } from '@switchyard/store';
import type { Pool } from '@switchyard/store';
import { runLabel } from '../../services/cli/src/label/command.ts';
import { createKafka, eventually, stack, uniqueName, withClient } from '../support/index.ts';

describe('outcomes settle dollars; labels arrive later', () => {
  const prefix = uniqueName('lbl');
  const model = `${prefix}-m`;
  const jobId = `${prefix}-job`;
  const scope = `${prefix}:job`;
  const topics = { requests: `${prefix}.requests`, deferred: `${prefix}.deferred`, deadLetter: `${prefix}.dlq`, outcomes: `${prefix}.outcomes`, routedTemplate: `${prefix}.routed.{model}` };
  let kafka: Kafka;
  let admin: Admin;
  let pool: Pool;
  let recorder: OutcomeRecorderHandle | undefined;
  let reporter: OutcomeReporter;
  let dir: string;
  const rid = (n: number) => `${jobId}-L${n}`;

  beforeAll(async () => {
    const info = stack();
    kafka = createKafka(prefix);
    admin = kafka.admin();
    await admin.connect();
    pool = createPool({ url: info.postgresUrl, poolMax: 3 });
    const shared = loadConfig({}, {
      kafka: { brokers: info.kafkaBrokers, clientId: `${prefix}-rec` },
      registry: { url: info.registryUrl },
      postgres: { connectionString: info.postgresUrl, maxConnections: 3 },
      topics: { ...topics, partitions: 2, replicationFactor: 1 },
      models: [{ name: model, tokensPerMinute: 1_000_000, maxBatchTokens: 4_000, maxBatchRequests: 16, costPer1kPromptTokensUsd: 0.01, costPer1kCompletionTokensUsd: 0.03 }],
      log: { level: 'warn' },
    });
    recorder = await startOutcomeRecorder(compileOutcomeRecorderConfig(shared, parseOutcomeRecorderConfig({ httpPort: null, instanceId: `${prefix}-rec1` })), { logger: pino({ level: 'warn' }) });
    reporter = await OutcomeReporter.create({ kafka, registry: createRegistryClient({ url: info.registryUrl }), topic: topics.outcomes });
    dir = await mkdtemp(join(tmpdir(), 'switchyard-label-'));
    const source = join(dir, 'job.jsonl');
    await writeFile(source, [1, 2, 3].map((n) => JSON.stringify({ id: `c${n}`, prompt: `q${n}` })).join('\n') + '\n');
    await pool.query(
      `INSERT INTO switchyard.jobs (job_id, tenant, source, source_format, source_bytes, topic, status, submitted_at, budget_usd)
       VALUES ($1, 't', $2, 'jsonl', 1, $3, 'submitted', now(), 1)`,
      [jobId, source, topics.requests],
    );
  });

  afterAll(async () => {
    await reporter?.close();
    await recorder?.stop();
    const all = await admin.listTopics();
    await admin.deleteTopics({ topics: all.filter((t) => t.startsWith(prefix)) }).catch(() => undefined);
    await admin.disconnect();
    await pool.end();
    await withClient(stack().adminUrl, async (c) => {
      for (const t of ['outcomes', 'outcome_daily', 'outcome_labels', 'jobs']) await c.query(`DELETE FROM switchyard.${t} WHERE job_id LIKE $1`, [`${prefix}%`]);
      await c.query('DELETE FROM switchyard.outcome_stats WHERE model LIKE $1', [`${prefix}%`]);
      await c.query('DELETE FROM switchyard.usd_budgets WHERE scope LIKE $1', [`${prefix}%`]);
    });
    await rm(dir, { recursive: true, force: true });
  });

  const outcome = (n: number, quality: number, costUsd: number) =>
    sampleOutcome({ requestId: rid(n), jobId, tenant: 't', model, batchId: `${prefix}-b`, quality, success: true, costUsd, completedAt: 1_000 + n });
  const qualityOf = async (n: number) => (await pool.query<{ quality: number }>('SELECT quality FROM switchyard.outcomes WHERE request_id = $1', [rid(n)])).rows[0]?.quality;
  const statSum = async () => Number((await pool.query<{ s: string }>("SELECT sum_reward::text AS s FROM switchyard.outcome_stats WHERE model = $1 AND segment = '*'", [model])).rows[0]?.s ?? NaN);

  it('settles each reservation to the true cost its outcome reports, once', async () => {
    const res = await reserveUsd(pool, [1, 2, 3].map((n) => ({ requestId: rid(n), holder: 'r#1', scopes: [{ scope, limitUsd: 1 }], worstCaseUsd: 0.3 })));
    expect(res.map((r) => r.kind)).toEqual(['reserved', 'reserved', 'reserved']);
    const events = [outcome(1, 0.9, 0.05), outcome(2, 0.6, 0.1), outcome(3, 0.3, 0.2)];
    await reporter.reportMany(events.map((o) => ({ outcome: o })));
    await reporter.reportMany(events.map((o) => ({ outcome: o }))); // replayed
    await eventually('outcomes settled', async () => (await readUsdBudgets(pool, [scope]))[0]?.committedUsd === (await readUsdBudgets(pool, [scope]))[0]?.spentUsd, 60_000);
    await eventually('all three recorded', async () => (await qualityOf(3)) !== undefined, 60_000);
    const [row] = await readUsdBudgets(pool, [scope]);
    expect(row!.spentUsd).toBeCloseTo(0.35, 9);
    expect(row!.committedUsd).toBeCloseTo(0.35, 9);
  });

  it('feeds labels through the outcomes path: replaced quality, moved statistics, executor quality kept', async () => {
    const before = await statSum();
    const file = join(dir, 'labels.jsonl');
    await writeFile(file, ['{"custom_id": "c1", "quality": 0.1}', `{"request_id": "${rid(2)}", "quality": 0.6}`, '{"custom_id": "zz", "quality": 1}', 'garbage'].join('\n'));
    const endpoints = { kafkaBrokers: stack().kafkaBrokers, registryUrl: stack().registryUrl, postgresUrl: stack().postgresUrl };
    const r = await runLabel({ jobId, file, topic: topics.outcomes, endpoints, stderr: process.stderr });
    expect(r).toEqual({ applied: 1, recorded: 2, unchanged: 0, missing: 1, bad: 1 });
    await eventually('label 1 applied', async () => (await qualityOf(1)) === 0.1, 60_000);
    expect(await statSum()).toBeCloseTo(before - 0.8, 9);
    const view = await pool.query('SELECT request_id, executor_quality, label_quality, recorded_quality, label_applied FROM switchyard.labelled_outcomes WHERE job_id = $1 ORDER BY request_id', [jobId]);
    expect(view.rows).toEqual([
      { request_id: rid(1), executor_quality: 0.9, label_quality: 0.1, recorded_quality: 0.1, label_applied: true },
      { request_id: rid(2), executor_quality: 0.6, label_quality: 0.6, recorded_quality: 0.6, label_applied: true },
    ]);

    // A second label replaces the first; the executor's quality stays beside it.
    await writeFile(file, '{"custom_id": "c1", "quality": 0.7}\n');
    expect((await runLabel({ jobId, file, topic: topics.outcomes, endpoints, stderr: process.stderr })).applied).toBe(1);
    await eventually('label 1 replaced', async () => (await qualityOf(1)) === 0.7, 60_000);
    expect(await statSum()).toBeCloseTo(before - 0.2, 9);
    const again = await pool.query('SELECT executor_quality, label_quality, labels FROM switchyard.labelled_outcomes WHERE request_id = $1', [rid(1)]);
    expect(again.rows).toEqual([{ executor_quality: 0.9, label_quality: 0.7, labels: 2 }]);
    // The same file again: nothing left to do.
    expect(await runLabel({ jobId, file, topic: topics.outcomes, endpoints, stderr: process.stderr })).toMatchObject({ applied: 0, unchanged: 1 });
    // Labels never move dollars: the cost of the labelled outcome is unchanged.
    expect((await readUsdBudgets(pool, [scope]))[0]!.spentUsd).toBeCloseTo(0.35, 9);
  });
});
