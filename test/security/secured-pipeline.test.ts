// The services against a secured broker, and tenant isolation by ACLs. One extra Kafka (SASL_SSL,
// SCRAM-SHA-512, StandardAuthorizer; @switchyard/stack startSecuredKafka) is started for this
// file and stopped after it; the registry and Postgres are the plain stack's.
// - submit (as tenant acme, settings from SWITCHYARD_* variables and secret files, as the CLI
//   reads them), the router, the executor simulator and the outcome recorder (as the services'
//   principal, password and CA from files) complete a small job;
// - acme's credentials cannot write to globex's request topic, the deferred topic or the shared
//   requests topic (authorization errors from the broker);
// - a request acme writes on its own topic naming globex in its body is dead-lettered as
//   tenant_mismatch and never decided, so nothing of it reaches globex's budgets.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { pino } from 'pino';
import { runSubmit } from '@switchyard/cli';
import { loadConfig, loadConnections } from '@switchyard/config';
import { AvroSerde, contracts, createRegistryClient } from '@switchyard/contracts';
import type { DeadLetterV1, RequestV1 } from '@switchyard/contracts';
import { generateSyntheticDataset } from '@switchyard/datasets';
import { compileExecutorSimConfig, parseExecutorSimConfig, startExecutorSim } from '@switchyard/executor-sim';
import type { ExecutorSimHandle } from '@switchyard/executor-sim';
import { compileOutcomeRecorderConfig, parseOutcomeRecorderConfig, startOutcomeRecorder } from '@switchyard/outcome-recorder';
import type { OutcomeRecorderHandle } from '@switchyard/outcome-recorder';
import { compileRouterConfig, parseRouterServiceConfig, startRouter } from '@switchyard/router';
import type { RouterHandle } from '@switchyard/router';
import { eventually, stack, uniqueName, withClient } from '../support/index.ts';
import { grant, serviceAcls, startSecuredBroker, tenantAcls } from '../support/secured-broker.ts';
import type { SecuredBroker } from '../support/secured-broker.ts';

const N = 12;
const DATA = { nHistory: 20, nTest: N, models: 2, seed: 41 } as const;

/** Every `type` on an error, its causes and aggregated errors (kafkajs wraps protocol errors). */
function errorTypes(err: unknown, seen = new Set<unknown>()): string[] {
  if (err === null || typeof err !== 'object' || seen.has(err)) return [];
  seen.add(err);
  const e = err as { type?: unknown; cause?: unknown; errors?: unknown; originalError?: unknown };
  const own = typeof e.type === 'string' ? [e.type] : [];
  const nested = [e.cause, e.originalError, ...(Array.isArray(e.errors) ? e.errors : [])].flatMap((x) => errorTypes(x, seen));
  return [...own, ...nested];
}

describe('secured broker: SASL_SSL, SCRAM and per-tenant ACLs', () => {
  const prefix = uniqueName('sec');
  const acme = `${prefix}-acme`;
  const globex = `${prefix}-globex`;
  const models = [`${prefix}-m0`, `${prefix}-m1`];
  const topics = {
    requests: `${prefix}.requests`,
    deferred: `${prefix}.deferred`,
    deadLetter: `${prefix}.dlq`,
    outcomes: `${prefix}.outcomes`,
    routedTemplate: `${prefix}.routed.{model}`,
  };
  const tenantTopic = (tenant: string): string => `${prefix}.requests.${tenant}`;
  const jobId = `${prefix}-job`;
  const data = generateSyntheticDataset(DATA);
  const logger = pino({ level: 'warn' });
  let sb: SecuredBroker;
  let admin: Admin;
  let router: RouterHandle | undefined;
  let sim: ExecutorSimHandle | undefined;
  let recorder: OutcomeRecorderHandle | undefined;
  let dir: string;
  const producers: Producer[] = [];

  function shared(clientId: string) {
    const info = stack();
    return loadConfig(
      {},
      {
        kafka: {
          brokers: sb.broker.brokers,
          clientId,
          ssl: { enabled: true, caFile: sb.broker.caFile },
          sasl: { mechanism: 'scram-sha-512', username: sb.service.name, passwordFile: sb.passwordFile(sb.service) },
          retry: { initialDelayMs: 100, maxDelayMs: 2_000, maxRetries: 8 },
        },
        registry: { url: info.registryUrl },
        postgres: { connectionString: info.postgresUrl, maxConnections: 3 },
        topics: { ...topics, partitions: 2, replicationFactor: 1 },
        tenancy: { tenants: [acme, globex], topicTemplate: `${prefix}.requests.{tenant}` },
        models: models.map((name) => ({ name, tokensPerMinute: 50_000_000, maxBatchTokens: 4_000, maxBatchRequests: 8 })),
        budgets: { tenants: { [globex]: { tokensPerMinute: 1_000_000 } } },
        batching: { flushIntervalMs: 200 },
        workers: { poolSize: 1 },
        scoring: { backend: 'ts' },
        router: { instanceId: `${prefix}-r1`, policy: { policy: 'greedy-perf' } },
        log: { level: 'warn' },
      },
    );
  }

  /** What the CLI reads for a tenant: SWITCHYARD_* variables, the password and CA as files. */
  function tenantEndpoints(tenant: string) {
    const info = stack();
    const user = sb.tenants[tenant]!;
    const env = {
      SWITCHYARD_KAFKA_SSL: 'true',
      SWITCHYARD_KAFKA_SSL_CA_FILE: sb.broker.caFile,
      SWITCHYARD_KAFKA_SASL_MECHANISM: 'scram-sha-512',
      SWITCHYARD_KAFKA_SASL_USERNAME: user.name,
      SWITCHYARD_KAFKA_SASL_PASSWORD_FILE: sb.passwordFile(user),
    };
    const urls = { kafkaBrokers: sb.broker.brokers, registryUrl: info.registryUrl, postgresUrl: info.postgresUrl };
    return { ...urls, connections: loadConnections(env, urls) };
  }

  async function tenantProducer(tenant: string): Promise<Producer> {
    const producer = sb.kafkaAs(sb.tenants[tenant]!, `${prefix}-${tenant}-producer`).producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 2 } });
    producers.push(producer);
    await producer.connect();
    return producer;
  }

  beforeAll(async () => {
    sb = await startSecuredBroker(prefix, [acme, globex]);
    admin = sb.kafkaAs(sb.superUser, `${prefix}-admin`).admin();
    await admin.connect();
    await grant(admin, [...serviceAcls(sb.service, prefix), ...tenantAcls(sb.tenants[acme]!, tenantTopic(acme)), ...tenantAcls(sb.tenants[globex]!, tenantTopic(globex))]);
    router = await startRouter(
      compileRouterConfig(
        shared(`${prefix}-router`),
        parseRouterServiceConfig({ reference: { source: 'synthetic', nHistory: 300, seed: 5 }, embedding: { dim: 64 }, ann: { kind: 'exact', k: 5 }, ledger: 'local', httpPort: 0, httpHost: '127.0.0.1' }),
      ),
      { logger: logger.child({ service: 'router' }), defaultMetrics: false },
    );
    sim = await startExecutorSim(
      compileExecutorSimConfig(
        shared(`${prefix}-sim`),
        parseExecutorSimConfig({ dataset: { source: 'synthetic', nHistory: DATA.nHistory, nTest: DATA.nTest, seed: DATA.seed }, latency: { kind: 'uniform', minMs: 1, maxMs: 5 }, errorRate: 0, seed: 3 }),
      ),
      { logger: logger.child({ service: 'executor-sim' }) },
    );
    recorder = await startOutcomeRecorder(
      compileOutcomeRecorderConfig(shared(`${prefix}-rec`), parseOutcomeRecorderConfig({ httpPort: null, instanceId: `${prefix}-rec1` })),
      { logger: logger.child({ service: 'outcome-recorder' }) },
    );
    dir = await mkdtemp(join(tmpdir(), `${prefix}-job-`));
  });

  afterAll(async () => {
    for (const p of producers) await p.disconnect().catch(() => undefined);
    await recorder?.stop();
    await sim?.stop();
    await router?.stop();
    await admin?.disconnect().catch(() => undefined);
    await sb?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    await withClient(stack().postgresUrl, async (c) => {
      await c.query('DELETE FROM switchyard.outcomes WHERE job_id LIKE $1', [`${prefix}%`]);
      await c.query('DELETE FROM switchyard.outcome_stats WHERE model LIKE $1', [`${prefix}%`]);
      await c.query('DELETE FROM switchyard.outcome_daily WHERE job_id LIKE $1', [`${prefix}%`]);
      await c.query('DELETE FROM switchyard.decisions WHERE job_id LIKE $1', [`${prefix}%`]);
      await c.query('DELETE FROM switchyard.results WHERE job_id LIKE $1', [`${prefix}%`]);
      await c.query('DELETE FROM switchyard.job_bad_lines WHERE job_id LIKE $1', [`${prefix}%`]);
      await c.query('DELETE FROM switchyard.jobs WHERE job_id LIKE $1', [`${prefix}%`]);
    });
    // The registry is the plain stack's: its subjects are left to its retention like other tests'.
  });

  it('runs a job from submit to recorded outcomes with every client on SASL_SSL', async () => {
    const file = join(dir, 'job.jsonl');
    await writeFile(file, data.test.map((q) => JSON.stringify({ prompt: q.prompt, maxOutputTokens: 64, metadata: { datasetId: q.id } })).join('\n') + '\n');
    const stderr = new PassThrough();
    const result = await runSubmit({
      file, jobId, tenant: acme, topic: tenantTopic(acme), partitions: 2, replicationFactor: 1, maxOutputTokens: 64, priority: 0,
      force: false, progress: false, printBadLines: 5, keepBadLines: 100, chunkMessages: 5, endpoints: tenantEndpoints(acme), stderr,
    });
    expect(result).toMatchObject({ kind: 'submitted', produced: N, bad: 0 });

    const pg = stack().postgresUrl;
    const outcomes = async (): Promise<number> => withClient(pg, async (c) => Number((await c.query('SELECT count(*) AS n FROM switchyard.outcomes WHERE job_id = $1', [jobId])).rows[0].n));
    await eventually(`${N} outcomes of ${jobId}`, async () => (await outcomes()) >= N, 120_000);
    await withClient(pg, async (c) => {
      const d = await c.query("SELECT tenant, count(*) AS n FROM switchyard.decisions WHERE job_id = $1 AND outcome = 'routed' GROUP BY tenant", [jobId]);
      expect(d.rows).toEqual([{ tenant: acme, n: String(N) }]);
      const o = await c.query('SELECT tenant, count(*) FILTER (WHERE error IS NULL) AS answered, count(*) AS n FROM switchyard.outcomes WHERE job_id = $1 GROUP BY tenant', [jobId]);
      expect(o.rows).toEqual([{ tenant: acme, answered: String(N), n: String(N) }]);
    });
  });

  it("refuses tenant acme's credentials on globex's topic, the deferred topic and the shared topic", async () => {
    const producer = await tenantProducer(acme);
    for (const topic of [tenantTopic(globex), topics.deferred, topics.requests]) {
      const sent = producer.send({ topic, acks: -1, messages: [{ key: 'k', value: 'v' }] });
      const err = await sent.then(() => null, (e: unknown) => e);
      expect(err, topic).not.toBeNull();
      expect(errorTypes(err), topic).toContain('TOPIC_AUTHORIZATION_FAILED');
    }
    // The control: the same producer may write to its own topic (an undecodable value, which
    // the router dead-letters; it shows the refusals above are about the topic, not the user).
    await expect(producer.send({ topic: tenantTopic(acme), acks: -1, messages: [{ key: `${prefix}-junk`, value: 'not avro' }] })).resolves.toBeDefined();
  });

  it("dead-letters a request on acme's topic that names globex, and never decides it", async () => {
    const registry = createRegistryClient({ url: stack().registryUrl });
    const serde = await AvroSerde.forTopic(registry, tenantTopic(acme), contracts.request);
    const request = (requestId: string, tenant: string): RequestV1 => ({
      requestId, jobId: `${prefix}-forge`, tenant, prompt: data.test[0]!.prompt, embedding: null, promptTokens: null, maxOutputTokens: 32,
      priority: 0, deadline: null, allowedModels: null, metadata: { datasetId: data.test[0]!.id }, submittedAt: Date.now(),
    });
    const producer = await tenantProducer(acme);
    // The genuine one after the forged one: once it is decided, the forged one was read.
    await producer.send({ topic: tenantTopic(acme), acks: -1, messages: [{ key: `${prefix}-forged`, value: serde.encode(request(`${prefix}-forged`, globex)) }] });
    await producer.send({ topic: tenantTopic(acme), acks: -1, messages: [{ key: `${prefix}-genuine`, value: serde.encode(request(`${prefix}-genuine`, acme)) }] });

    const pg = stack().postgresUrl;
    const decided = async (id: string): Promise<{ tenant: string }[]> => withClient(pg, async (c) => (await c.query('SELECT tenant FROM switchyard.decisions WHERE request_id = $1', [id])).rows as { tenant: string }[]);
    await eventually('the genuine request decided', async () => (await decided(`${prefix}-genuine`)).length > 0, 60_000);
    expect(await decided(`${prefix}-genuine`)).toEqual([{ tenant: acme }]);
    expect(await decided(`${prefix}-forged`)).toEqual([]);
    await withClient(pg, async (c) => {
      expect((await c.query('SELECT count(*) AS n FROM switchyard.decisions WHERE tenant = $1', [globex])).rows[0].n).toBe('0');
    });

    const letters = await readDeadLetters(sb.kafkaAs(sb.service, `${prefix}-dlq-reader`), (l) => l.some((x) => x.originalKey?.toString() === `${prefix}-forged`));
    const forged = letters.find((x) => x.originalKey?.toString() === `${prefix}-forged`)!;
    expect(forged).toMatchObject({ reason: 'tenant_mismatch', sourceTopic: tenantTopic(acme) });
    expect(forged.detail).toContain(`"${globex}"`);
  });

  async function readDeadLetters(kafka: Kafka, enough: (letters: DeadLetterV1[]) => boolean): Promise<DeadLetterV1[]> {
    const serde = await AvroSerde.forTopic(createRegistryClient({ url: stack().registryUrl }), topics.deadLetter, contracts.deadLetter);
    const letters: DeadLetterV1[] = [];
    const consumer = kafka.consumer({ groupId: `${prefix}.dlq-reader` });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topics.deadLetter], fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          const decoded = await serde.decode(message.value);
          if (decoded.ok) letters.push(decoded.value);
        },
      });
      await eventually('the dead letter', () => enough(letters), 60_000);
      return letters;
    } finally {
      await consumer.disconnect();
    }
  }
});
