// Traces on the real stack: `switchyard submit` -> router -> executor-sim -> outcome recorder,
// all in this process with tracing turned on by the standard OTEL_* variables, exporting over
// OTLP/HTTP to a real receiver started by the test. Checked on the spans received: one
// request's submit, routing, publish, execution and recording spans share one trace id and
// form a chain of parents (and, where a span covers several batches, links).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admin, Kafka } from 'kafkajs';
import { pino } from 'pino';
import { loadConfig } from '@switchyard/config';
import { runSubmit } from '@switchyard/cli';
import { generateSyntheticDataset } from '@switchyard/datasets';
import { compileExecutorSimConfig, parseExecutorSimConfig, startExecutorSim } from '@switchyard/executor-sim';
import type { ExecutorSimHandle } from '@switchyard/executor-sim';
import { compileOutcomeRecorderConfig, parseOutcomeRecorderConfig, startOutcomeRecorder } from '@switchyard/outcome-recorder';
import type { OutcomeRecorderHandle } from '@switchyard/outcome-recorder';
import { compileRouterConfig, parseRouterServiceConfig, startRouter } from '@switchyard/router';
import type { RouterHandle } from '@switchyard/router';
import { startTelemetry, telemetryConfigFromEnv } from '@switchyard/telemetry';
import type { TelemetryHandle } from '@switchyard/telemetry';
import { createKafka, deleteSubject, eventually, stack, uniqueName, withClient } from '../support/index.ts';
import { startOtlpReceiver } from '../support/otlp-receiver.ts';
import type { OtlpReceiver, ReceivedSpan } from '../support/otlp-receiver.ts';

const N = 12;
const DATA = { nHistory: 20, nTest: N, models: 2, seed: 41 } as const;

describe('traces: submit -> router -> executor-sim -> outcome-recorder', () => {
  const prefix = uniqueName('tr');
  const models = [`${prefix}-a`, `${prefix}-b`];
  const jobId = `${prefix}-job`;
  const topics = { requests: `${prefix}.requests`, deferred: `${prefix}.deferred`, deadLetter: `${prefix}.dlq`, outcomes: `${prefix}.outcomes`, routedTemplate: `${prefix}.routed.{model}` };
  const data = generateSyntheticDataset(DATA);
  const logger = pino({ level: 'warn' });
  let receiver: OtlpReceiver;
  let telemetry: TelemetryHandle | undefined;
  let kafka: Kafka;
  let admin: Admin;
  let dir: string;
  let router: RouterHandle | undefined;
  let sim: ExecutorSimHandle | undefined;
  let recorder: OutcomeRecorderHandle | undefined;

  function shared(clientId: string) {
    const info = stack();
    return loadConfig(
      {},
      {
        kafka: { brokers: info.kafkaBrokers, clientId, retry: { initialDelayMs: 100, maxDelayMs: 2_000, maxRetries: 8 } },
        registry: { url: info.registryUrl },
        postgres: { connectionString: info.postgresUrl, maxConnections: 4 },
        topics: { ...topics, partitions: 2, replicationFactor: 1 },
        models: models.map((name) => ({ name, tokensPerMinute: 50_000_000, maxBatchTokens: 4_000, maxBatchRequests: 4 })),
        batching: { flushIntervalMs: 200 },
        workers: { poolSize: 1 },
        scoring: { backend: 'ts' },
        router: { instanceId: `${prefix}-r1`, policy: { policy: 'ours' } },
        log: { level: 'warn' },
      },
    );
  }

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    // What an operator sets; the service name is the one default the process supplies.
    telemetry = startTelemetry(telemetryConfigFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_SERVICE_NAME: `${prefix}-svc` }, 'unused'));
    kafka = createKafka(prefix);
    admin = kafka.admin();
    await admin.connect();
    dir = await mkdtemp(join(tmpdir(), 'switchyard-traces-'));
    const svc = parseRouterServiceConfig({ reference: { source: 'synthetic', nHistory: 400, seed: 5 }, embedding: { dim: 64 }, ann: { kind: 'exact', k: 5 }, ledger: 'local', httpPort: 0, httpHost: '127.0.0.1' });
    router = await startRouter(compileRouterConfig(shared(`${prefix}-router`), svc), { logger, defaultMetrics: false });
    const simSection = parseExecutorSimConfig({ dataset: { source: 'synthetic', nHistory: DATA.nHistory, nTest: DATA.nTest, seed: DATA.seed }, latency: { kind: 'uniform', minMs: 1, maxMs: 5 }, errorRate: 0, seed: 3 });
    sim = await startExecutorSim(compileExecutorSimConfig(shared(`${prefix}-sim`), simSection), { logger });
    const recSection = parseOutcomeRecorderConfig({ httpPort: null, instanceId: `${prefix}-rec1` });
    recorder = await startOutcomeRecorder(compileOutcomeRecorderConfig(shared(`${prefix}-rec`), recSection), { logger });
  });

  afterAll(async () => {
    await recorder?.stop();
    await sim?.stop();
    await router?.stop();
    await telemetry?.shutdown();
    await receiver?.close();
    const all = await admin.listTopics();
    await admin.deleteTopics({ topics: all.filter((t) => t.startsWith(prefix)) }).catch(() => undefined);
    await admin.disconnect();
    for (const t of [topics.requests, topics.outcomes, topics.deadLetter, ...models.map((m) => `${prefix}.routed.${m}`)]) await deleteSubject(stack(), `${t}-value`).catch(() => undefined);
    await withClient(stack().adminUrl, async (c) => {
      for (const table of ['outcomes', 'outcome_daily', 'decisions', 'jobs']) await c.query(`DELETE FROM switchyard.${table} WHERE job_id LIKE $1`, [`${prefix}%`]);
      await c.query('DELETE FROM switchyard.outcome_stats WHERE model LIKE $1', [`${prefix}%`]);
    });
    await rm(dir, { recursive: true, force: true });
  });

  it("puts one request's spans, from submit to the recorded outcome, in one trace", async () => {
    const file = join(dir, 'job.jsonl');
    await writeFile(file, data.test.map((q) => JSON.stringify({ prompt: q.prompt, maxOutputTokens: 64, metadata: { datasetId: q.id, task: q.task } })).join('\n') + '\n');
    const info = stack();
    const submitted = await runSubmit({
      file,
      jobId,
      tenant: `${prefix}-tenant`,
      topic: topics.requests,
      partitions: 2,
      replicationFactor: 1,
      maxOutputTokens: 64,
      priority: 0,
      force: false,
      progress: false,
      printBadLines: 20,
      keepBadLines: 100,
      chunkMessages: 5,
      endpoints: { kafkaBrokers: info.kafkaBrokers, registryUrl: info.registryUrl, postgresUrl: info.postgresUrl },
      stderr: new PassThrough(),
    });
    expect(submitted).toMatchObject({ kind: 'submitted', produced: N });

    const outcomes = async () =>
      withClient(info.postgresUrl, async (c) => (await c.query('SELECT request_id, batch_id FROM switchyard.outcomes WHERE job_id = $1 ORDER BY request_id', [jobId])).rows as { request_id: string; batch_id: string }[]);
    await eventually('an outcome for every request', async () => (await outcomes()).length >= N, 120_000);
    const rows = await outcomes();
    const batches = new Set(rows.map((r) => r.batch_id));
    // Every batch's execution is exported and every outcome slice's record span too.
    const named = (name: string): ReceivedSpan[] => receiver.spans.filter((s) => s.name === name);
    await eventually(
      'spans of every stage',
      async () => {
        await telemetry!.flush();
        const executed = new Set(named('switchyard.execute').map((s) => s.attributes['switchyard.batch_id']));
        const recorded = named('switchyard.record').reduce((n, s) => n + Number(s.attributes['messaging.batch.message_count']), 0);
        return named('switchyard.submit').length === 1 && [...batches].every((b) => executed.has(b)) && recorded >= N && named('switchyard.publish').length >= batches.size;
      },
      60_000,
    );
    expect(receiver.refused).toEqual([]);
    expect(new Set(receiver.spans.map((s) => s.service))).toEqual(new Set([`${prefix}-svc`]));

    const [submit] = named('switchyard.submit');
    expect(submit!.attributes['switchyard.job_id']).toBe(jobId);
    expect(submit!.attributes['switchyard.requests_produced']).toBe(N);
    const byId = new Map(receiver.spans.map((s) => [s.spanId, s]));
    const request = rows[Math.floor(N / 2)]!;
    // The request's batch: published once (an aborted and retried slice would publish again).
    const publishes = named('switchyard.publish').filter((s) => s.attributes['switchyard.batch_id'] === request.batch_id);
    const executes = named('switchyard.execute').filter((s) => s.attributes['switchyard.batch_id'] === request.batch_id);
    expect(executes.length).toBeGreaterThanOrEqual(1);
    for (const execute of executes) {
      const publish = byId.get(execute.parentSpanId)!;
      expect(publishes).toContain(publish);
      const route = byId.get(publish.parentSpanId)!;
      expect(route.name).toBe('switchyard.route');
      expect(route.parentSpanId).toBe(submit!.spanId);
      // The batch names its requests' contexts: the job's submit span.
      expect(publish.links).toContainEqual({ traceId: submit!.traceId, spanId: submit!.spanId });
      expect(execute.links).toContainEqual({ traceId: submit!.traceId, spanId: submit!.spanId });
      const records = named('switchyard.record').filter((r) => r.parentSpanId === execute.spanId || r.links.some((l) => l.spanId === execute.spanId));
      expect(records.length).toBeGreaterThanOrEqual(1);
      for (const s of [route, publish, execute, ...records]) expect(s.traceId, s.name).toBe(submit!.traceId);
    }
    expect(submit!.parentSpanId).toBe('');
  });
});
