// executor-openai with one model on the provider Batch API of the local server (some lines
// failing, some missing from the output), the other per request, and the executor SIGKILLed
// while provider batches are in flight. Afterwards: every custom_id is in the results exactly
// once or in the errors with a reason; answers that came from a provider batch cost the batch
// price; the restarted executor polled the provider batches it found in Postgres instead of
// submitting them again; a routed batch whose deadline is too near went per request.
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

const N = 480;
const PER_BATCH = 40;
const REASONS = /^(malformed_response|retries_exhausted|deadline_exceeded|model_failed_permanently|invalid_body)$/;
const PRICE = { costPer1kPromptTokensUsd: 0.002, costPer1kCompletionTokensUsd: 0.004, batchCostPer1kPromptTokensUsd: 0.001, batchCostPer1kCompletionTokensUsd: 0.002 };

function executorProcess(configFile: string, name: string): ChildProcess {
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

interface ResultRow { custom_id: string; model: string; cost_usd: number | null; prompt_tokens: number; completion_tokens: number; rid: string | null; error: string | null }

describe('executor-openai: a model on the provider Batch API, failing lines and a SIGKILL mid-batch', () => {
  const prefix = uniqueName('xb');
  const jobId = `${prefix}-job`;
  const [batchModel, liveModel] = [`${prefix}-batch`, `${prefix}-live`];
  const models = [batchModel, liveModel];
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
      await pool.query('DELETE FROM switchyard.provider_batches WHERE model = ANY($1::text[])', [models]);
      await pool.end();
    }
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it(`${N} requests`, { timeout: 600_000 }, async () => {
    const info = stack();
    dir = await mkdtemp(join(tmpdir(), 'xb-'));
    pool = createPool({ url: info.postgresUrl, poolMax: 2, applicationName: 'xb-test' });
    server = await startModelServer({
      book: createAnswerBook(null),
      apiKey: 'sk-local',
      faults: {
        serverErrors: { share: 0.1, attempts: 1 },
        malformed: { share: 0.03 },
        // 40 lines at 100 ms: a provider batch is in progress for about 4 s, long enough to be killed in.
        batch: { lineErrors: { share: 0.15 }, missing: { share: 0.05 }, lineMs: 100, validatingMs: 200 },
      },
    });
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
      models: models.map((name) => ({ name, tokensPerMinute: 10_000_000, maxBatchTokens: 100_000, maxBatchRequests: 100, ...PRICE })),
      log: { level: 'warn' },
    };
    const endpoint = (m: string) => ({ baseUrl: server!.baseUrl, apiKeyEnv: 'LOCAL_MODEL_KEY', upstreamModel: `up-${m}`, concurrency: 16, requestTimeoutMs: 2_000 });
    const configFile = join(dir, 'executor.json');
    await writeFile(configFile, JSON.stringify({
      ...shared,
      executorOpenai: {
        models: {
          [batchModel]: { ...endpoint(batchModel), batchApi: { enabled: true, minBatchRequests: 10, minTimeLeftMs: 120_000, fallbackMarginMs: 30_000, pollIntervalMs: 200, maxPollIntervalMs: 1_000, requestTimeoutMs: 10_000 } },
          [liveModel]: endpoint(liveModel),
        },
        retry: { maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 1_000, maxTotalMs: 25_000 },
        maxInFlightBatches: 3,
        // No router runs here: a request a model fails permanently ends as an error outcome.
        onPermanentFailure: 'error',
      },
    }));

    recorder = await startOutcomeRecorder(compileOutcomeRecorderConfig(loadConfig({}, { ...shared, kafka: { ...shared.kafka, clientId: `${prefix}-rec` } }), parseOutcomeRecorderConfig({ httpPort: null })), { logger: pino({ level: 'silent' }) });
    await beginJob(pool, { jobId, tenant: 't', source: 'test', sourceFormat: 'openai', sourceBytes: 0, topic: topics.requests, submittedAtMs: Date.now() }, false);

    // Requests alternate between the models. The batch model's first routed batch has deadlines
    // a minute away, less than its minTimeLeftMs: it must go per request.
    const registry = createRegistryClient({ url: info.registryUrl });
    const producer = kafka.producer();
    await producer.connect();
    const nearDeadline = `${prefix}-0-0`;
    for (const [k, model] of models.entries()) {
      const serde = await AvroSerde.forTopic(registry, routed(model), contracts.routedBatch);
      const mine = Array.from({ length: N }, (_, i) => i).filter((i) => i % 2 === k);
      for (let b = 0; b * PER_BATCH < mine.length; b++) {
        const batchId = `${prefix}-${k}-${b}`;
        const requests = mine.slice(b * PER_BATCH, (b + 1) * PER_BATCH).map((i) => {
          const prompt = `question ${i} of ${jobId}`;
          const body = JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: prompt }], max_tokens: 64 });
          return sampleRoutedRequest({ requestId: `${jobId}-L${i}`, jobId, tenant: 't', prompt, customId: `row-${i}`, body, maxOutputTokens: 64, deadline: batchId === nearDeadline ? Date.now() + 60_000 : null });
        });
        const batch: RoutedBatchV2 = { batchId, model, createdAt: Date.now(), routerInstance: 'test', policy: 'test', totalEstimatedTokens: 0, requests };
        await producer.send({ topic: routed(model), messages: [{ key: batch.batchId, value: serde.encode(batch) }] });
      }
    }
    await producer.disconnect();
    const batchRoutedIds = Array.from({ length: N / 2 / PER_BATCH }, (_, b) => `${prefix}-0-${b}`);

    // Kill the executor once provider batches are remembered in Postgres and still running.
    const remembered = async (): Promise<string[]> =>
      (await pool!.query<{ routed_batch_id: string }>("SELECT routed_batch_id FROM switchyard.provider_batches WHERE model = $1 AND status NOT IN ('completed', 'expired', 'cancelled', 'failed')", [batchModel])).rows.map((r) => r.routed_batch_id);
    let executor = executorProcess(configFile, 'executor-0');
    children.push(executor);
    let inFlight: string[] = [];
    await eventually('provider batches in flight', async () => (inFlight = await remembered()).length >= 2, 120_000);
    await sigkill(executor);
    executor = executorProcess(configFile, 'executor-1');
    children.push(executor);

    const answered = async (): Promise<number> => Number((await pool!.query<{ n: string }>('SELECT count(*) AS n FROM switchyard.results WHERE job_id = $1', [jobId])).rows[0]!.n);
    await eventually(`all ${N} results`, async () => (await answered()) >= N, 300_000);

    // Exactly once per custom_id, in Postgres and in the files the submitter downloads.
    const { rows } = await pool.query<ResultRow>("SELECT custom_id, model, cost_usd, prompt_tokens, completion_tokens, response->>'id' AS rid, error FROM switchyard.results WHERE job_id = $1", [jobId]);
    expect(rows.length).toBe(N);
    expect(new Set(rows.map((r) => r.custom_id)).size).toBe(N);
    const out = join(dir, 'results.jsonl');
    const files = await runResults({ postgresUrl: info.postgresUrl, jobId, outFile: out, format: 'openai', pageSize: 100 });
    const read = async (f: string) => (await readFile(f, 'utf8')).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { custom_id: string; error: { code: string; message: string } | null });
    const [answers, errors] = [await read(out), await read(files.errorsFile)];
    expect([...answers, ...errors].map((l) => l.custom_id).sort()).toEqual(Array.from({ length: N }, (_, i) => `row-${i}`).sort());
    for (const e of errors) expect(e.error!.code, e.error!.message).toMatch(REASONS);

    // Answers from a provider batch cost the batch price; answers from single calls the standard one.
    const cost = (r: ResultRow, batch: boolean) => batch
      ? (r.prompt_tokens * PRICE.batchCostPer1kPromptTokensUsd + r.completion_tokens * PRICE.batchCostPer1kCompletionTokensUsd) / 1000
      : (r.prompt_tokens * PRICE.costPer1kPromptTokensUsd + r.completion_tokens * PRICE.costPer1kCompletionTokensUsd) / 1000;
    const ok = rows.filter((r) => r.error === null);
    const fromBatch = ok.filter((r) => r.rid?.startsWith('chatcmpl-batch-') === true);
    const single = ok.filter((r) => r.rid?.startsWith('chatcmpl-local-') === true);
    expect(fromBatch.length + single.length).toBe(ok.length);
    expect(fromBatch.length).toBeGreaterThan(0);
    expect(fromBatch.every((r) => r.model === batchModel)).toBe(true);
    for (const r of fromBatch) expect(r.cost_usd).toBeCloseTo(cost(r, true), 12);
    for (const r of single) expect(r.cost_usd).toBeCloseTo(cost(r, false), 12);
    // The batch model's failed and missing lines were answered (or ended) one by one.
    expect(single.filter((r) => r.model === batchModel).length).toBeGreaterThan(PER_BATCH);

    // Resumed, not resubmitted: one provider batch for each routed batch in flight at the kill.
    const created = server.stats().batchesCreated.map((b) => b.metadata?.switchyard_batch_id);
    for (const id of inFlight) expect(created.filter((c) => c === id), id).toHaveLength(1);
    expect(created).not.toContain(nearDeadline);
    expect(new Set(created)).toEqual(new Set(batchRoutedIds.filter((id) => id !== nearDeadline)));
    const stats = server.stats().byKind;
    expect(stats.batch_line_error).toBeGreaterThan(0);
    expect(stats.batch_missing).toBeGreaterThan(0);
    process.stderr.write(`executor-openai batch API test: ${N} requests, ${fromBatch.length} answered in provider batches, ${single.length} by single calls, ${errors.length} errors; ${created.length} provider batches for ${batchRoutedIds.length - 1} routed batches, ${inFlight.length} resumed after the kill; server ${JSON.stringify(stats)}\n`);
  });
});
