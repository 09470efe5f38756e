// A batch-file job executed by executor-openai processes against the local OpenAI-compatible
// server with every fault injected (429 + Retry-After, 500s, hangs, malformed JSON, one model
// down for a while), the executor SIGKILLed three times mid-job and restarted, the outcome
// recorder writing answers to Postgres. Afterwards every custom_id is in `switchyard results`
// exactly once: in the answers, or in the errors with a reason.
//
// Size: RESULTS_JOB_SIZE requests (default 2,000, about a minute on two shared cores); the
// stated target is 100,000 (RESULTS_JOB_SIZE=100000, much longer).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { beginJob, runResults } from '@switchyard/cli';
import { loadConfig } from '@switchyard/config';
import { AvroSerde, contracts, createRegistryClient, sampleRoutedRequest } from '@switchyard/contracts';
import type { RoutedBatchV2 } from '@switchyard/contracts';
import { createAnswerBook, startModelServer } from '@switchyard/model-server';
import type { ModelServer } from '@switchyard/model-server';
import { compileOutcomeRecorderConfig, parseOutcomeRecorderConfig, startOutcomeRecorder } from '@switchyard/outcome-recorder';
import type { OutcomeRecorderHandle } from '@switchyard/outcome-recorder';
import { createPool } from '@switchyard/store';
import type { Pool } from '@switchyard/store';
import { createKafka, createTopics, eventually, stack, uniqueName } from '../support/index.ts';

const N = Number(process.env.RESULTS_JOB_SIZE ?? 2_000);
const PER_BATCH = 20;
const KILLS = 3;
const REASONS = /^(malformed_response|retries_exhausted|deadline_exceeded|model_failed_permanently|invalid_body)$/;

function executorProcess(configFile: string, name: string): ChildProcess {
  // Only the config file and the key: the runner's own SWITCHYARD_* variables are not settings.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SWITCHYARD_')));
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/executor-openai/src/main.ts'], {
    env: { ...env, SWITCHYARD_CONFIG_FILE: configFile, LOCAL_MODEL_KEY: 'sk-local' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`[${name}] ${chunk.toString()}`));
  return child;
}

async function sigkill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}

// Three body shapes, as a batch file would bring them, so conversion is on the path too.
function bodyFor(i: number, prompt: string): string | null {
  if (i % 3 === 0) return null;
  if (i % 3 === 1) return JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: prompt }], max_tokens: 64 });
  return JSON.stringify({ model: 'claude-3-5-haiku', system: 'Answer briefly.', max_tokens: 64, messages: [{ role: 'user', content: [{ type: 'text', text: prompt }] }] });
}

describe('executor-openai: faults and SIGKILLs, every custom_id answered or errored exactly once', () => {
  const prefix = uniqueName('xo');
  const jobId = `${prefix}-job`;
  const models = [`${prefix}-a`, `${prefix}-b`];
  const topics = { outcomes: `${prefix}.outcomes`, deadLetter: `${prefix}.dlq`, requests: `${prefix}.requests`, deferred: `${prefix}.deferred`, routedTemplate: `${prefix}.routed.{model}` };
  const routed = (m: string) => `${prefix}.routed.${m}`;
  const children: ChildProcess[] = [];
  let server: ModelServer | undefined;
  let recorder: OutcomeRecorderHandle | undefined;
  let pool: Pool | undefined;
  let dropTopics: () => Promise<void> = async () => undefined;
  let dir = '';

  afterAll(async () => {
    for (const c of children) await sigkill(c);
    await recorder?.stop();
    await server?.close();
    await dropTopics().catch(() => undefined);
    if (pool !== undefined) {
      for (const t of ['results', 'outcomes', 'outcome_daily', 'jobs']) await pool.query(`DELETE FROM switchyard.${t} WHERE job_id = $1`, [jobId]);
      await pool.query('DELETE FROM switchyard.outcome_stats WHERE model = ANY($1::text[])', [models]);
      await pool.end();
    }
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it(`${N} requests`, { timeout: 900_000 }, async () => {
    const info = stack();
    dir = await mkdtemp(join(tmpdir(), 'xo-'));
    pool = createPool({ url: info.postgresUrl, poolMax: 2, applicationName: 'xo-test' });
    const faults = {
      rateLimited: { share: 0.1, attempts: 1, retryAfterSeconds: 1 },
      serverErrors: { share: 0.1, attempts: 2 },
      hangs: { share: 0.02, attempts: 1 },
      malformed: { share: 0.02 },
    };
    const serverStartedAt = Date.now();
    server = await startModelServer({ book: createAnswerBook(null), apiKey: 'sk-local', faults });
    const kafka = createKafka(prefix);
    const admin = kafka.admin();
    await admin.connect();
    dropTopics = await createTopics(admin, [topics.outcomes, topics.deadLetter, ...models.map(routed)].map((topic) => ({ topic, numPartitions: 3, replicationFactor: 1 })));
    await admin.disconnect();

    const shared = {
      kafka: { brokers: info.kafkaBrokers, clientId: prefix, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000 },
      registry: { url: info.registryUrl },
      postgres: { connectionString: info.postgresUrl, maxConnections: 3 },
      topics: { ...topics, partitions: 3, replicationFactor: 1 },
      models: models.map((name) => ({ name, tokensPerMinute: 10_000_000, maxBatchTokens: 100_000, maxBatchRequests: 100, costPer1kPromptTokensUsd: 0.001, costPer1kCompletionTokensUsd: 0.002 })),
      log: { level: 'warn' },
    };
    const configFile = join(dir, 'executor.json');
    await writeFile(configFile, JSON.stringify({
      ...shared,
      executorOpenai: {
        models: Object.fromEntries(models.map((m) => [m, { baseUrl: server!.baseUrl, apiKeyEnv: 'LOCAL_MODEL_KEY', upstreamModel: `up-${m}`, concurrency: 16, requestTimeoutMs: 2_000 }])),
        retry: { maxAttempts: 8, baseDelayMs: 100, maxDelayMs: 2_000, maxTotalMs: 25_000 },
        maxInFlightBatches: 3,
        // No router runs here: a request a model fails permanently ends as an error outcome.
        onPermanentFailure: 'error',
      },
    }));

    recorder = await startOutcomeRecorder(compileOutcomeRecorderConfig(loadConfig({}, { ...shared, kafka: { ...shared.kafka, clientId: `${prefix}-rec` } }), parseOutcomeRecorderConfig({ httpPort: null })), { logger: pino({ level: 'silent' }) });
    await beginJob(pool, { jobId, tenant: 't', source: 'test', sourceFormat: 'jsonl', sourceBytes: 0, topic: topics.requests, submittedAtMs: Date.now() }, false);

    // The routed batches the router would write: requests alternate between the two models.
    const registry = createRegistryClient({ url: info.registryUrl });
    const producer = kafka.producer();
    await producer.connect();
    for (const [k, model] of models.entries()) {
      const serde = await AvroSerde.forTopic(registry, routed(model), contracts.routedBatch);
      const mine = Array.from({ length: N }, (_, i) => i).filter((i) => i % 2 === k);
      for (let b = 0; b * PER_BATCH < mine.length; b++) {
        const requests = mine.slice(b * PER_BATCH, (b + 1) * PER_BATCH).map((i) => {
          const prompt = `question ${i} of ${jobId}`;
          return sampleRoutedRequest({ requestId: `${jobId}:${i}`, jobId, tenant: 't', prompt, customId: `row-${i}`, body: bodyFor(i, prompt), maxOutputTokens: 64 });
        });
        const batch: RoutedBatchV2 = { batchId: `${prefix}-${k}-${b}`, model, createdAt: Date.now(), routerInstance: 'test', policy: 'test', totalEstimatedTokens: 0, requests };
        await producer.send({ topic: routed(model), messages: [{ key: batch.batchId, value: serde.encode(batch) }] });
      }
    }
    await producer.disconnect();

    const answered = async (): Promise<number> => Number((await pool!.query<{ n: string }>('SELECT count(*) AS n FROM switchyard.results WHERE job_id = $1', [jobId])).rows[0]!.n);
    let executor = executorProcess(configFile, 'executor-0');
    children.push(executor);
    // One model down for 6 s from when the executor is answering: a window counted from the
    // server's start could pass before the executor process is up on a loaded machine.
    await eventually('first results', async () => (await answered()) > 0, 120_000);
    server.setFaults({ ...faults, down: [{ model: `up-${models[1]}`, fromMs: Date.now() - serverStartedAt, forMs: 6_000 }] });
    for (let k = 1; k <= KILLS; k++) {
      const target = Math.floor((N * k) / (KILLS + 2));
      await eventually(`${target} results before kill ${k}`, async () => (await answered()) >= target, 300_000);
      await sigkill(executor);
      executor = executorProcess(configFile, `executor-${k}`);
      children.push(executor);
    }
    await eventually(`all ${N} results`, async () => (await answered()) >= N, 600_000);

    // Exactly once per custom_id in Postgres, and in the files the submitter downloads.
    const { rows } = await pool.query<{ custom_id: string; n: string }>('SELECT custom_id, count(*) AS n FROM switchyard.results WHERE job_id = $1 GROUP BY custom_id', [jobId]);
    expect(rows.length).toBe(N);
    expect(rows.every((r) => r.n === '1')).toBe(true);
    const out = join(dir, 'results.jsonl');
    const files = await runResults({ postgresUrl: info.postgresUrl, jobId, outFile: out, format: 'openai', pageSize: 500 });
    const lines = (await readFile(out, 'utf8')).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { custom_id: string; response: { status_code: number; body: { usage: { prompt_tokens: number } } } });
    const errors = (await readFile(files.errorsFile, 'utf8')).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { custom_id: string; error: { code: string; message: string } });
    const ids = [...lines, ...errors].map((l) => l.custom_id);
    expect(ids.length).toBe(N);
    expect(new Set(ids)).toEqual(new Set(Array.from({ length: N }, (_, i) => `row-${i}`)));
    expect(lines.every((l) => l.response.status_code === 200 && l.response.body.usage.prompt_tokens > 0)).toBe(true);
    for (const e of errors) expect(e.error.code, e.error.message).toMatch(REASONS);
    // Malformed answers are never retried into success: they are the errors we expect to see.
    expect(errors.filter((e) => e.error.code === 'malformed_response').length).toBeGreaterThan(0);
    const stats = server.stats().byKind;
    expect(stats.rate_limited).toBeGreaterThan(0);
    expect(stats.server_error).toBeGreaterThan(0);
    expect(stats.hang).toBeGreaterThan(0);
    expect(stats.down).toBeGreaterThan(0);
    process.stderr.write(`executor-openai crash test: ${N} requests, ${lines.length} answered, ${errors.length} errors, server answers ${JSON.stringify(stats)}\n`);
  });
});
