// A request that fails permanently on a model is routed to another, on the real stack: the
// router, executor-openai and the outcome recorder in process against the local
// OpenAI-compatible server. Job 1: one model answers 404 to everything; its requests come back
// to the router (deferred topic, in the executor's transaction) and are answered by the other
// models, every custom_id once in the results. Job 2: every model fails (404, 400, and 500s
// until the retries run out); every custom_id ends in the errors file once, all_models_failed,
// naming the attempts.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { pino } from 'pino';
import { beginJob, runResults } from '@switchyard/cli';
import { loadConfig } from '@switchyard/config';
import { AvroSerde, contracts, createRegistryClient } from '@switchyard/contracts';
import type { RequestV3 } from '@switchyard/contracts';
import { compileExecutorOpenaiConfig, parseExecutorOpenaiConfig, startExecutorOpenai } from '@switchyard/executor-openai';
import type { ExecutorOpenaiHandle } from '@switchyard/executor-openai';
import { createAnswerBook, startModelServer } from '@switchyard/model-server';
import type { FaultOptions, ModelServer } from '@switchyard/model-server';
import { compileOutcomeRecorderConfig, parseOutcomeRecorderConfig, startOutcomeRecorder } from '@switchyard/outcome-recorder';
import type { OutcomeRecorderHandle } from '@switchyard/outcome-recorder';
import { compileRouterConfig, parseRouterServiceConfig, startRouter } from '@switchyard/router';
import type { RouterHandle } from '@switchyard/router';
import { createPool } from '@switchyard/store';
import type { Pool } from '@switchyard/store';
import { createKafka, eventually, stack, uniqueName } from '../support/index.ts';
import { cleanUpJob, createJobTopics, jobTopics } from '../support/router-job.ts';

const N = 60;
const logger = pino({ level: 'warn' });

interface ResultLine { custom_id: string; response: { status_code: number; body: { model: string } } | null; error: { code: string; message: string } | null }

describe('executor-openai: a request a model fails permanently goes to the next model', () => {
  const prefix = uniqueName('rr');
  const models = ['m0', 'm1', 'm2'].map((m) => `${prefix}-${m}`);
  const [failing] = models as [string, string, string];
  const up = (m: string) => `up-${m}`;
  const jobs = [`${prefix}-job1`, `${prefix}-job2`];
  const topics = { ...jobTopics(prefix), outcomes: `${prefix}.outcomes` };
  let kafka: Kafka;
  let pool: Pool;
  let server: ModelServer;
  let router: RouterHandle | undefined;
  let executor: ExecutorOpenaiHandle | undefined;
  let recorder: OutcomeRecorderHandle | undefined;
  let dir = '';

  function shared(clientId: string) {
    const info = stack();
    return loadConfig({}, {
      kafka: { brokers: info.kafkaBrokers, clientId, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000 },
      registry: { url: info.registryUrl },
      postgres: { connectionString: info.postgresUrl, maxConnections: 3 },
      topics: { ...topics, partitions: 2, replicationFactor: 1 },
      models: models.map((name) => ({ name, tokensPerMinute: 10_000_000, maxBatchTokens: 100_000, maxBatchRequests: 8, costPer1kPromptTokensUsd: 0.001, costPer1kCompletionTokensUsd: 0.002 })),
      batching: { flushIntervalMs: 200 },
      workers: { poolSize: 1 },
      scoring: { backend: 'ts' },
      // Random spreads the first choices over the three models, so the failing one gets its share.
      router: { instanceId: `${prefix}-r`, policy: { policy: 'random', seed: 7 }, maxModelAttempts: 3 },
      log: { level: 'warn' },
    });
  }

  beforeAll(async () => {
    const info = stack();
    dir = await mkdtemp(join(tmpdir(), 'rr-'));
    kafka = createKafka(prefix);
    pool = createPool({ url: info.postgresUrl, poolMax: 2, applicationName: 'rr-test' });
    await createJobTopics(kafka, prefix, models.map((name) => ({ name, tokensPerMinute: 1, maxBatchTokens: 1, maxBatchRequests: 1 })), 2);
    server = await startModelServer({ book: createAnswerBook(null), faults: { permanent: [{ model: up(failing) }] } });
    const service = parseRouterServiceConfig({
      reference: { source: 'synthetic', nHistory: 400, seed: 3 },
      embedding: { dim: 64 },
      ann: { kind: 'exact', k: 5 },
      ledger: 'postgres',
      httpPort: 0,
      httpHost: '127.0.0.1',
      scoreChunkRequests: 64,
      deferredPollMs: 200,
    });
    router = await startRouter(compileRouterConfig(shared(`${prefix}-router`), service), { logger, defaultMetrics: false });
    const section = parseExecutorOpenaiConfig({
      models: Object.fromEntries(models.map((m) => [m, { baseUrl: server.baseUrl, upstreamModel: up(m), concurrency: 8, requestTimeoutMs: 2_000 }])),
      retry: { maxAttempts: 2, baseDelayMs: 20, maxDelayMs: 50, maxTotalMs: 5_000 },
    });
    executor = await startExecutorOpenai(compileExecutorOpenaiConfig(shared(`${prefix}-exec`), section, { env: {}, readFile: () => '' }), { logger });
    recorder = await startOutcomeRecorder(compileOutcomeRecorderConfig(shared(`${prefix}-rec`), parseOutcomeRecorderConfig({ httpPort: null })), { logger });
  }, 120_000);

  afterAll(async () => {
    await executor?.stop();
    await router?.stop();
    await recorder?.stop();
    await server?.close();
    for (const jobId of jobs) await cleanUpJob(kafka, stack().adminUrl, prefix, jobId);
    if (pool !== undefined) {
      for (const t of ['results', 'outcomes', 'outcome_daily', 'jobs']) await pool.query(`DELETE FROM switchyard.${t} WHERE job_id = ANY($1::text[])`, [jobs]);
      await pool.query('DELETE FROM switchyard.outcome_stats WHERE model = ANY($1::text[])', [models]);
      await pool.end();
    }
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  async function submit(jobId: string): Promise<void> {
    await beginJob(pool, { jobId, tenant: 't', source: 'test', sourceFormat: 'openai', sourceBytes: 0, topic: topics.requests, submittedAtMs: Date.now() }, false);
    const serde = await AvroSerde.forTopic(createRegistryClient({ url: stack().registryUrl }), topics.requests, contracts.request);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const messages = Array.from({ length: N }, (_, i) => {
      const prompt = `question ${i} of ${jobId}: name a prime above ${i * 7}`;
      const r: RequestV3 = {
        requestId: `${jobId}:${i}`, jobId, tenant: 't', prompt, embedding: null, promptTokens: null, maxOutputTokens: 64, priority: 0, deadline: null,
        allowedModels: null, metadata: { bodyFormat: 'openai' }, submittedAt: Date.now(), customId: `row-${i}`,
        body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: prompt }], max_tokens: 64 }),
      };
      return { key: r.requestId, value: serde.encode(r) };
    });
    await producer.send({ topic: topics.requests, messages });
    await producer.disconnect();
  }

  async function collect(jobId: string): Promise<{ answers: ResultLine[]; errors: ResultLine[] }> {
    const count = async () => Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM switchyard.results WHERE job_id = $1', [jobId])).rows[0]!.n);
    await eventually(`all ${N} results of ${jobId}`, async () => (await count()) >= N, 240_000);
    const out = join(dir, `${jobId}.jsonl`);
    const files = await runResults({ postgresUrl: stack().postgresUrl, jobId, outFile: out, format: 'openai', pageSize: 50 });
    const read = async (f: string) => (await readFile(f, 'utf8')).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as ResultLine);
    const [answers, errors] = [await read(out), await read(files.errorsFile)];
    // Every custom_id exactly once across both files, and once in Postgres.
    expect([...answers, ...errors].map((l) => l.custom_id).sort()).toEqual(Array.from({ length: N }, (_, i) => `row-${i}`).sort());
    const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM switchyard.results WHERE job_id = $1 GROUP BY request_id HAVING count(*) > 1', [jobId]);
    expect(rows).toEqual([]);
    return { answers, errors };
  }

  it('answers the requests of a model that fails permanently with the other models', { timeout: 300_000 }, async () => {
    await submit(jobs[0]!);
    const { answers, errors } = await collect(jobs[0]!);
    expect(errors).toEqual([]);
    expect(answers.every((a) => a.response?.status_code === 200)).toBe(true);
    const { rows } = await pool.query<{ model: string; n: string }>('SELECT model, count(*) AS n FROM switchyard.results WHERE job_id = $1 GROUP BY model', [jobs[0]]);
    const byModel = Object.fromEntries(rows.map((r) => [r.model, Number(r.n)]));
    expect(byModel[failing]).toBeUndefined();
    // The failing model was really tried (the test would prove nothing otherwise), once per request sent there.
    const stats = server.stats().byKind;
    expect(stats.permanent).toBeGreaterThan(0);
    expect(stats.ok).toBeGreaterThanOrEqual(N);
    process.stderr.write(`reroute test, job 1: ${N} requests, ${stats.permanent} answered 404 by ${failing} and rerouted, answers by model ${JSON.stringify(byModel)}\n`);
  });

  it('ends every request as all_models_failed, once, when every model fails', { timeout: 300_000 }, async () => {
    const faults: FaultOptions = {
      permanent: [{ model: up(models[0]!) }, { model: up(models[1]!), status: 400 }],
      serverErrors: { share: 1, attempts: 1_000, status: 503 },
    };
    server.setFaults(faults);
    await submit(jobs[1]!);
    const { answers, errors } = await collect(jobs[1]!);
    expect(answers).toEqual([]);
    for (const e of errors) {
      expect(e.error?.code, e.error?.message).toBe('all_models_failed');
      // Each model appears once among the attempts: no model was tried twice.
      for (const m of models) expect(e.error!.message.split(`${m} (`).length - 1, `${e.custom_id}: ${e.error!.message}`).toBe(1);
    }
    expect(errors.some((e) => e.error!.message.includes('HTTP 404'))).toBe(true);
    expect(errors.some((e) => e.error!.message.includes('HTTP 400'))).toBe(true);
    expect(errors.some((e) => e.error!.message.includes('retries_exhausted HTTP 503'))).toBe(true);
  });
});
