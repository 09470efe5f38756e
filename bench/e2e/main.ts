/**
 * End-to-end throughput on this machine, with the broker on it: requests per second from submit
 * (`switchyard submit` in a child process: Avro `Request` records to the requests topic) through
 * the router service (`services/router/src/main.ts` in child processes: its production
 * transactional path, exactly-once on) to the per-model batches a read_committed consumer sees
 * on the routed, deferred and dead-letter topics.
 *
 *   npm run bench:e2e -- [--requests 100000] [--router-instances 1] [--pool-size 2] [--partitions 6]
 *     [--policy resolving-dual] [--max-batch-requests 64] [--max-batch-tokens 64000] [--flush-interval-ms 500]
 *     [--scoring ts] [--ledger postgres] [--data PATH | --synthetic] [--json OUT] [--keep] [--router-profile DIR]
 *
 * Latency of a request = the time the read_committed consumer here receives the routed batch (or
 * dead letter) holding it, minus the request record's Kafka timestamp (CreateTime, set by the
 * submit producer when it sends the record's chunk). Both clocks are this machine's. The
 * consumer polls with maxWaitTimeInMs 50, which bounds what the polling adds.
 *
 * Everything it creates (topics, subjects, consumer groups, job and decision rows, budget ledger
 * rows, the job file) has the run's unique name and is removed at the end unless --keep.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import type { Consumer, Kafka } from 'kafkajs';
import pg from 'pg';
import { backendPidsOf, deleteRunRows } from '@switchyard/store';
import { configSchema, routedTopicName } from '@switchyard/config';
import { AvroSerde, contracts, createRegistryClient, valueSubject } from '@switchyard/contracts';
import { defaultDatasetPath, generateSyntheticDataset, loadDataset } from '@switchyard/datasets';
import type { Dataset } from '@switchyard/datasets';
import { KafkaIoError, createKafka, deleteTopics, ensureTopics, withRetry } from '@switchyard/kafka-io';
import { ensureStack, stackConfigFromEnv } from '@switchyard/stack';
import type { StackInfo } from '@switchyard/stack';
import { ExactlyOnceChecker, requestIndexOf } from './checker.ts';
import type { RateSubmitSettings } from './rate-submit.ts';
import type { CheckSummary } from './checker.ts';
import { CpuGroup, clockTicksPerSec, pidsByCmdline, pidsByComm, readMachineCpu, readProcStat, uptimeTicks } from './cpu.ts';
import { latencySummary, sortedFinite, throughputSummary } from './stats.ts';
import type { LatencySummary, ThroughputSummary } from './stats.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

interface Options {
  requests: number;
  routerInstances: number;
  poolSize: number;
  partitions: number;
  policy: string;
  maxBatchRequests: number;
  maxBatchTokens: number;
  flushIntervalMs: number;
  maxInFlightBatches: number;
  scoreChunkRequests: number;
  fetchMinBytes: number;
  fetchMaxWaitMs: number;
  scoring: 'ts' | 'gpujs' | 'auto';
  ledger: 'postgres' | 'local';
  data?: string;
  synthetic: boolean;
  maxOutputTokens: number;
  timeoutS: number;
  idleTimeoutS: number;
  json?: string;
  keep: boolean;
  routerProfileDir?: string;
  /** Extra node options of the router processes (V8 heap flags and the like). */
  routerNodeArgs: string[];
  /** Open loop: requests per second, sent on a fixed schedule (rate-submit.ts); absent: submit at full speed. */
  rate?: number;
}

const positiveInt = (v: string): number => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError('a positive integer');
  return n;
};

function parseOptions(argv: readonly string[]): Options {
  const o = new Command('bench:e2e')
    .description('End-to-end throughput: submit -> router (exactly-once) -> read_committed batches, with a CPU split and an exactly-once check.')
    .option('--requests <n>', 'requests to submit', positiveInt, 100_000)
    .option('--router-instances <n>', 'router service processes (one consumer group)', positiveInt, 1)
    .option('--pool-size <n>', 'scoring worker threads per router (workers.poolSize)', positiveInt, 2)
    .option('--partitions <n>', 'partitions of every topic the run creates', positiveInt, 6)
    .option('--policy <name>', 'routing policy (router.policy.policy)', 'resolving-dual')
    .option('--max-batch-requests <n>', 'models[].maxBatchRequests', positiveInt, 64)
    .option('--max-batch-tokens <n>', 'models[].maxBatchTokens', positiveInt, 64_000)
    .option('--flush-interval-ms <n>', 'batching.flushIntervalMs', positiveInt, 500)
    .option('--max-in-flight-batches <n>', 'router.maxInFlightBatches', positiveInt, 2)
    .option('--score-chunk-requests <n>', 'routerService.scoreChunkRequests (requests per worker task)', positiveInt, 512)
    .option('--fetch-min-bytes <n>', 'routerService.fetchMinBytes (requests topics)', positiveInt, 1)
    .option('--fetch-max-wait-ms <n>', 'routerService.fetchMaxWaitMs (requests topics)', positiveInt, 1_000)
    .option('--scoring <backend>', 'scoring.backend: ts, gpujs or auto', 'ts')
    .option('--ledger <kind>', 'routerService.ledger: postgres (shared budgets, as deployed) or local', 'postgres')
    .option('--data <path>', 'dataset: reference set of the router and prompts of the stream (default the RouterBench subset when present)')
    .option('--synthetic', 'generated reference data and prompts instead of a dataset', false)
    .option('--max-output-tokens <n>', 'maxOutputTokens of every request', positiveInt, 256)
    .option('--timeout-s <n>', 'give up when the run takes longer than this', positiveInt, 3_600)
    .option('--idle-timeout-s <n>', 'give up when no request arrived for this long after submit ended', positiveInt, 120)
    .option('--json <file>', 'write the results as JSON')
    .option('--keep', 'keep topics, rows and the job file (for inspection)', false)
    .option('--router-profile <dir>', 'write V8 CPU profiles of the router processes (node --cpu-prof) into this folder')
    .option('--router-node-arg <arg...>', 'extra node options for the router processes, e.g. --router-node-arg=--max-semi-space-size=64', [])
    .option('--rate <n>', 'open loop: send the requests at this many per second (scheduled CreateTime) instead of switchyard submit at full speed', positiveInt)
    .parse(argv)
    .opts<Record<string, unknown>>();
  const scoring = String(o.scoring);
  if (scoring !== 'ts' && scoring !== 'gpujs' && scoring !== 'auto') throw new InvalidArgumentError(`--scoring: '${scoring}' is not ts, gpujs or auto`);
  const ledger = String(o.ledger);
  if (ledger !== 'postgres' && ledger !== 'local') throw new InvalidArgumentError(`--ledger: '${ledger}' is not postgres or local`);
  if (ledger === 'local' && (o.routerInstances as number) > 1) throw new InvalidArgumentError('--ledger local counts budgets per process: use postgres with several router instances');
  return {
    requests: o.requests as number,
    routerInstances: o.routerInstances as number,
    poolSize: o.poolSize as number,
    partitions: o.partitions as number,
    policy: String(o.policy),
    maxBatchRequests: o.maxBatchRequests as number,
    maxBatchTokens: o.maxBatchTokens as number,
    flushIntervalMs: o.flushIntervalMs as number,
    maxInFlightBatches: o.maxInFlightBatches as number,
    scoreChunkRequests: o.scoreChunkRequests as number,
    fetchMinBytes: o.fetchMinBytes as number,
    fetchMaxWaitMs: o.fetchMaxWaitMs as number,
    scoring,
    ledger,
    ...(o.data !== undefined ? { data: String(o.data) } : {}),
    synthetic: o.synthetic === true,
    maxOutputTokens: o.maxOutputTokens as number,
    timeoutS: o.timeoutS as number,
    idleTimeoutS: o.idleTimeoutS as number,
    ...(o.json !== undefined ? { json: String(o.json) } : {}),
    keep: o.keep === true,
    ...(o.routerProfile !== undefined ? { routerProfileDir: resolve(String(o.routerProfile)) } : {}),
    ...(o.rate !== undefined ? { rate: o.rate as number } : {}),
    routerNodeArgs: (o.routerNodeArg as string[]).map(String),
  };
}

const say = (line: string): void => {
  process.stderr.write(`${line}\n`);
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no TCP port');
  return address.port;
}

/** Writes the job file: one JSONL line per request, prompts taken round-robin from the dataset's test split. */
async function writeJobFile(path: string, data: Dataset, n: number, maxOutputTokens: number): Promise<number> {
  const queries = data.test.length > 0 ? data.test : data.history;
  const out = createWriteStream(path);
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const q = queries[i % queries.length]!;
    const line = `${JSON.stringify({ prompt: q.prompt, maxOutputTokens, metadata: { datasetId: q.id, task: q.task } })}\n`;
    bytes += Buffer.byteLength(line);
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return bytes;
}

interface RunNames {
  runId: string;
  jobId: string;
  tenant: string;
  requests: string;
  deferred: string;
  deadLetter: string;
  outcomes: string;
  routedTemplate: string;
  routedTopics: string[];
  /** Configured model name -> dataset column. */
  modelColumns: Record<string, string>;
}

function namesFor(runId: string, datasetModels: readonly string[], routedTopicOf: (template: string, model: string) => string): RunNames {
  // Model names carry the run id, so the budget ledger rows (keyed by model) are this run's alone
  // and nobody else's minute window is drawn on; modelColumns maps them back to the data.
  const modelColumns: Record<string, string> = {};
  for (const m of datasetModels) modelColumns[`${runId}.${m}`] = m;
  const routedTemplate = `${runId}.routed.{model}`;
  return {
    runId,
    jobId: `${runId}-job`,
    tenant: runId,
    requests: `${runId}.requests`,
    deferred: `${runId}.deferred`,
    deadLetter: `${runId}.dead-letter`,
    outcomes: `${runId}.outcomes`,
    routedTemplate,
    routedTopics: Object.keys(modelColumns).map((m) => routedTopicOf(routedTemplate, m)),
    modelColumns,
  };
}

function routerConfigFile(o: Options, names: RunNames, info: StackInfo, instance: number, reference: Record<string, unknown>): Record<string, unknown> {
  // Budgets far above what the run needs: this measures throughput, not rationing, so no request
  // waits for a window reset (a deferral would add a minute to its latency).
  const tokensPerMinute = 1_000_000_000_000;
  return {
    kafka: { brokers: [...info.kafkaBrokers], clientId: names.runId },
    registry: { url: info.registryUrl },
    postgres: { connectionString: info.postgresUrl, maxConnections: 4 },
    topics: { requests: names.requests, deferred: names.deferred, deadLetter: names.deadLetter, outcomes: names.outcomes, routedTemplate: names.routedTemplate, partitions: o.partitions, replicationFactor: 1 },
    models: Object.keys(names.modelColumns).map((name) => ({ name, tokensPerMinute, maxBatchTokens: o.maxBatchTokens, maxBatchRequests: o.maxBatchRequests })),
    batching: { flushIntervalMs: o.flushIntervalMs },
    workers: { poolSize: o.poolSize },
    scoring: { backend: o.scoring },
    router: { instanceId: `${names.runId}-router-${instance}`, policy: { policy: o.policy }, maxInFlightBatches: o.maxInFlightBatches },
    log: { level: 'warn' },
    routerService: {
      reference,
      modelColumns: names.modelColumns,
      ledger: o.ledger,
      expectedRequestsPerDay: o.requests,
      scoreChunkRequests: o.scoreChunkRequests,
      fetchMinBytes: o.fetchMinBytes,
      fetchMaxWaitMs: o.fetchMaxWaitMs,
      httpHost: '127.0.0.1',
    },
  };
}

/** The open-loop submitter's command line; its settings go in a file of the run. */
function rateSubmitArgs(runDir: string, settings: RateSubmitSettings): string[] {
  const path = join(runDir, 'rate-submit.json');
  writeFileSync(path, JSON.stringify(settings));
  return ['bench/e2e/rate-submit.ts', path];
}

interface Child {
  name: string;
  proc: ChildProcess;
  exited: Promise<number | null>;
}

function spawnChild(name: string, args: string[], env: Record<string, string>, logPath: string, nodeArgs: readonly string[] = []): Child {
  const fd = openSync(logPath, 'a');
  const proc = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', fd, fd] });
  const exited = new Promise<number | null>((res) => proc.once('exit', (code) => res(code)));
  return { name, proc, exited };
}

async function waitReady(port: number, child: Child, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let ended = false;
  void child.exited.then(() => {
    ended = true;
  });
  while (Date.now() < deadline) {
    if (ended) throw new Error(`${child.name} exited before it was ready (see its log)`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    await sleep(250);
  }
  throw new Error(`${child.name} not ready after ${timeoutMs} ms`);
}

/** Waits until the consumer group is Stable with `members` members; false on timeout. */
async function waitGroupStable(kafka: Kafka, groupId: string, members: number, timeoutMs: number): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const { groups } = await admin.describeGroups([groupId]);
      const g = groups[0];
      if (g !== undefined && g.state === 'Stable' && g.members.length === members && g.members.every((m) => m.memberAssignment.length > 0)) return true;
      await sleep(250);
    }
    return false;
  } finally {
    await admin.disconnect();
  }
}

/** Reads the request topic once more to learn each request's Kafka timestamp (CreateTime). */
async function readSubmitTimes(kafka: Kafka, topic: string, jobId: string, n: number, groupId: string, idleTimeoutMs: number): Promise<{ submittedAtMs: Float64Array; records: number }> {
  const submittedAtMs = new Float64Array(n).fill(Number.NaN);
  let records = 0;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, maxBytesPerPartition: 4 * 1024 * 1024 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const index = m.key === null ? -1 : requestIndexOf(m.key.toString('utf8'), jobId, n);
          if (index >= 0) submittedAtMs[index] = Number(m.timestamp);
          records += 1;
        }
      },
    });
    let seen = -1;
    let lastProgressMs = Date.now();
    while (records < n && Date.now() - lastProgressMs < idleTimeoutMs) {
      await sleep(200);
      if (records !== seen) {
        seen = records;
        lastProgressMs = Date.now();
      }
    }
  } finally {
    await consumer.disconnect();
  }
  return { submittedAtMs, records };
}

/**
 * The JVM of a stack component: the pid the stack recorded in .stack/run/<name>.pid when it
 * started it, else any process whose command line holds the component's marker (a stack started
 * by other means).
 */
function stackPids(name: string, marker: string): number[] {
  const file = join(resolve(ROOT, process.env.SWITCHYARD_STACK_DIR ?? '.stack'), 'run', `${name}.pid`);
  try {
    const pid = (JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown }).pid;
    if (typeof pid === 'number' && readProcStat(pid) !== null) return [pid];
  } catch {
    // No pid file: not started by the stack CLI.
  }
  return pidsByCmdline(marker).filter((p) => p !== process.pid);
}

interface CpuRow {
  component: string;
  processes: number;
  cpuSeconds: number;
  /** Share of the machine's CPU capacity over the measured interval. */
  shareOfMachine: number;
}

interface Report {
  bench: 'e2e';
  startedAt: string;
  env: { node: string; cpuModel: string; cpus: number; memoryGiB: number; loadAverage1m: { start: number; end: number } };
  settings: Omit<Options, 'json' | 'keep' | 'routerProfileDir'> & { dataset: string; models: number; jobFileBytes: number };
  names: { runId: string; jobId: string };
  /**
   * The submit child: start to exit (process start-up, job row, schema registration included),
   * and its records' Kafka timestamps first to last (the producing itself).
   */
  submit: { elapsedMs: number; requestsPerSec: number; recordSpanMs: number; recordsPerSec: number; exitCode: number | null };
  throughput: ThroughputSummary;
  latency: LatencySummary;
  latencyDefinition: string;
  cpu: { intervalMs: number; capacityCpuSeconds: number; rows: CpuRow[]; requestsPerRouterCpuSecond: number };
  check: CheckSummary & { submitTimestampsRead: number };
  targetRequestsPerSec: number;
  targetMet: { overall: boolean; steady: boolean; atLeastOneMillion: boolean };
}

function targetVerdict(met: Report['targetMet'], target: number): string {
  if (met.overall && met.atLeastOneMillion) return 'met';
  const why = [
    ...(met.overall ? [] : [`below ${target} requests/s overall`]),
    ...(met.steady ? [] : [`below ${target} requests/s in the steady part`]),
    ...(met.atLeastOneMillion ? [] : ['run shorter than 1M']),
  ];
  return `not met: ${why.join(', ')}`;
}

function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv);
  const startedAt = new Date().toISOString();
  const loadAtStart = loadavg()[0] ?? 0;
  const runId = `e2e-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const runDir = join(ROOT, 'out', 'bench-e2e', runId);
  mkdirSync(runDir, { recursive: true });
  const cleanups: { what: string; run: () => Promise<void> }[] = [];
  const children: Child[] = [];
  let failed = false;

  try {
    const info = await ensureStack({ config: stackConfigFromEnv(process.env), log: (l) => say(`  ${l}`) });
    const datasetPath = o.synthetic ? undefined : (o.data ?? defaultDatasetPath());
    const useDataset = datasetPath !== undefined && existsSync(datasetPath);
    const data: Dataset = useDataset
      ? await loadDataset(datasetPath, { countTokens: false })
      : generateSyntheticDataset({ nHistory: 2_000, nTest: 1_000, models: 11, seed: 1 });
    const reference = useDataset ? { source: 'dataset', path: resolve(datasetPath) } : { source: 'synthetic', nHistory: 2_000, seed: 1 };
    const names = namesFor(runId, data.models, routedTopicName);
    say(`run ${runId}: ${o.requests} requests, ${o.routerInstances} router(s) x ${o.poolSize} workers, ${o.partitions} partitions, policy ${o.policy}, ${data.models.length} models from ${useDataset ? datasetPath : 'synthetic data'}`);

    const jobFile = join(runDir, 'job.jsonl');
    const jobFileBytes = await writeJobFile(jobFile, data, o.requests, o.maxOutputTokens);
    say(`  job file ${jobFile} (${(jobFileBytes / 1e6).toFixed(1)} MB)`);

    const kafka = createKafka(configSchema.shape.kafka.parse({ brokers: [...info.kafkaBrokers], clientId: runId }), { role: 'bench', logLevel: 'error', onLog: (r) => say(`  kafka ${r.level}: ${r.message}`) });
    const allTopics = [names.requests, names.deferred, names.deadLetter, ...names.routedTopics];
    cleanups.push({ what: 'topics', run: () => deleteTopics(kafka, allTopics) });
    // No size-based retention on the run's topics: the local broker's default (256 MiB per
    // partition, checked every minute) would delete requests of a 1M run (about 1.7 KB each
    // with RouterBench prompts) before a lagging router read them. They are deleted at the end.
    const topicConfigs = { 'retention.bytes': '-1', 'retention.ms': String(24 * 60 * 60 * 1000) };
    await withRetry(() => ensureTopics(kafka, allTopics.map((topic) => ({ topic, partitions: o.partitions, replicationFactor: 1, configs: topicConfigs }))), {
      initialDelayMs: 200,
      maxDelayMs: 2_000,
      maxRetries: 8,
      isRetriable: (err) => err instanceof KafkaIoError && err.retriable,
    });
    const registry = createRegistryClient({ url: info.registryUrl });
    cleanups.push({
      what: 'registry subjects',
      run: async () => {
        for (const topic of allTopics) {
          for (const permanent of [false, true]) {
            const res = await fetch(`${info.registryUrl}/subjects/${encodeURIComponent(valueSubject(topic))}?permanent=${permanent}`, { method: 'DELETE' });
            if (!res.ok && res.status !== 404) throw new Error(`DELETE subject ${valueSubject(topic)} -> ${res.status}`);
          }
        }
      },
    });
    const pgClient = new pg.Client({ connectionString: info.postgresUrl, application_name: 'switchyard-bench-e2e' });
    await pgClient.connect();
    cleanups.push({ what: 'Postgres connection', run: () => pgClient.end() });
    cleanups.push({
      what: 'Postgres rows',
      run: async () => {
        await deleteRunRows(pgClient, names.jobId, `model:${runId}.`);
      },
    });
    const groups = [`${runId}.router`, `${runId}.router.deferred`, `${runId}.checker`, `${runId}.timestamps`];
    cleanups.push({
      what: 'consumer groups',
      run: async () => {
        const admin = kafka.admin();
        await admin.connect();
        try {
          await admin.deleteGroups(groups).catch(() => undefined);
        } finally {
          await admin.disconnect();
        }
      },
    });

    // Routers first, each ready (reference set built, workers up, consumer running) before any request is sent.
    const ports: number[] = [];
    for (let i = 0; i < o.routerInstances; i++) {
      const configPath = join(runDir, `router-${i}.json`);
      writeFileSync(configPath, JSON.stringify(routerConfigFile(o, names, info, i, reference), null, 2));
      const port = await freePort();
      ports.push(port);
      const profile = [...o.routerNodeArgs, ...(o.routerProfileDir !== undefined ? ['--cpu-prof', '--cpu-prof-dir', o.routerProfileDir] : [])];
      const child = spawnChild(`router-${i}`, ['services/router/src/main.ts'], { SWITCHYARD_CONFIG_FILE: configPath, ROUTER_HTTP_PORT: String(port) }, join(runDir, `router-${i}.log`), profile);
      children.push(child);
    }
    cleanups.push({
      what: 'routers',
      run: async () => {
        for (const c of children) if (c.proc.exitCode === null) c.proc.kill('SIGTERM');
        await Promise.all(children.map((c) => c.exited));
      },
    });
    for (let i = 0; i < children.length; i++) await waitReady(ports[i]!, children[i]!, 300_000);
    // Ready means consuming, not that the group has settled: with several instances, a request
    // sent during the rebalance that follows the last join would wait for it and inflate latency.
    const membersUp = await waitGroupStable(kafka, `${runId}.router`, o.routerInstances, 120_000);
    say(`  ${children.length} router(s) ready; requests group ${membersUp ? 'stable with every instance' : 'not stable after 120 s (measuring anyway)'}`);

    // The checker: read_committed on every output topic, one bit per request.
    const checker = new ExactlyOnceChecker(o.requests);
    const routedSerde = await AvroSerde.forTopic(registry, names.routedTopics[0]!, contracts.routedBatch);
    const deferredSerde = await AvroSerde.forTopic(registry, names.deferred, contracts.deferred);
    const deadSerde = await AvroSerde.forTopic(registry, names.deadLetter, contracts.deadLetter);
    const undecodable = { count: 0 };
    const consumer: Consumer = kafka.consumer({ groupId: `${runId}.checker`, readUncommitted: false, maxWaitTimeInMs: 50, maxBytesPerPartition: 4 * 1024 * 1024 });
    await consumer.connect();
    cleanups.push({ what: 'checker', run: () => consumer.disconnect() });
    const joined = new Promise<void>((res) => consumer.on(consumer.events.GROUP_JOIN, () => res()));
    await consumer.subscribe({ topics: [...names.routedTopics, names.deferred, names.deadLetter], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async ({ batch }) => {
        const atMs = Date.now();
        for (const m of batch.messages) {
          if (batch.topic === names.deadLetter) {
            const d = await deadSerde.decode(m.value);
            if (!d.ok) undecodable.count += 1;
            else checker.record(d.value.originalKey === null ? -1 : requestIndexOf(Buffer.from(d.value.originalKey).toString('utf8'), names.jobId, o.requests), 'dead-letter', atMs);
          } else if (batch.topic === names.deferred) {
            const d = await deferredSerde.decode(m.value);
            if (!d.ok) undecodable.count += 1;
            else checker.record(requestIndexOf(d.value.request.requestId, names.jobId, o.requests), 'deferred', atMs);
          } else {
            const d = await routedSerde.decode(m.value);
            if (!d.ok) undecodable.count += 1;
            else for (const r of d.value.requests) checker.record(requestIndexOf(r.requestId, names.jobId, o.requests), 'routed', atMs);
          }
        }
      },
    });
    await Promise.race([joined, sleep(30_000)]);

    // CPU baseline, then submit.
    const ticksPerSec = clockTicksPerSec();
    const t0Ticks = uptimeTicks(ticksPerSec);
    const selfPid = process.pid;
    // Backends serving this run, by application_name: the router's pool names itself after its
    // instance id (which holds the run id), submit's is 'switchyard-submit'. The machine may
    // serve other clients at the same time; they are in the all-processes row only.
    let runBackendPids: number[] = [];
    const refreshRunBackends = async (): Promise<void> => {
      runBackendPids = await backendPidsOf(pgClient, `switchyard-router-${runId}-%`, 'switchyard-submit');
    };
    const routerGroup = new CpuGroup('router process(es)', () => children.map((c) => c.proc.pid ?? -1).filter((p) => p > 0), t0Ticks);
    const groupsCpu = [
      new CpuGroup('Kafka broker (JVM)', () => stackPids('kafka', 'kafka.Kafka'), t0Ticks),
      new CpuGroup('schema registry (JVM)', () => stackPids('registry', 'apicurio'), t0Ticks),
      new CpuGroup('Postgres (all server processes, any client)', () => pidsByComm('postgres'), t0Ticks),
      new CpuGroup("Postgres backends of this run's router and submit connections", () => runBackendPids, t0Ticks),
      routerGroup,
    ];
    // The router processes started before t0: their baseline is their time at t0 (start-up excluded).
    await refreshRunBackends();
    for (const g of groupsCpu) g.sample();
    const childTicks0 = (readProcStat(selfPid)?.cutimeTicks ?? 0) + (readProcStat(selfPid)?.cstimeTicks ?? 0);
    let sampling = true;
    const sampler = (async (): Promise<void> => {
      while (sampling) {
        await sleep(1_000);
        await refreshRunBackends().catch(() => undefined);
        for (const g of groupsCpu) g.sample();
      }
    })();
    const stopSampler = async (): Promise<void> => {
      sampling = false;
      await sampler;
    };
    cleanups.push({ what: 'CPU sampler', run: stopSampler });

    const selfCpu0 = process.cpuUsage();
    const machine0 = readMachineCpu();
    const submitStart = Date.now();
    const submitArgs =
      o.rate === undefined
        ? ['services/cli/src/main.ts', 'submit', jobFile, '--job-id', names.jobId, '--tenant', names.tenant, '--topic', names.requests, '--partitions', String(o.partitions), '--max-output-tokens', String(o.maxOutputTokens), '--brokers', info.kafkaBrokers.join(','), '--registry', info.registryUrl, '--pg-url', info.postgresUrl, '--no-progress']
        : rateSubmitArgs(runDir, { brokers: info.kafkaBrokers, registryUrl: info.registryUrl, topic: names.requests, jobId: names.jobId, tenant: names.tenant, jobFile, requestsPerSec: o.rate, maxOutputTokens: o.maxOutputTokens });
    const submit = spawnChild('submit', submitArgs, {}, join(runDir, 'submit.log'));
    let submitExit: number | null | undefined;
    let submitEndMs = Number.NaN;
    let submitTicks = Number.NaN;
    void submit.exited.then((code) => {
      submitExit = code;
      submitEndMs = Date.now();
      // Reaped by now: its whole CPU time is in our cutime/cstime (the routers are still running).
      const st = readProcStat(selfPid);
      submitTicks = (st?.cutimeTicks ?? 0) + (st?.cstimeTicks ?? 0) - childTicks0;
    });

    let lastDelivered = -1;
    let lastProgressMs = Date.now();
    let lastLogMs = 0;
    const deadline = submitStart + o.timeoutS * 1000;
    while (checker.deliveredCount < o.requests) {
      await sleep(200);
      const now = Date.now();
      if (checker.deliveredCount !== lastDelivered) {
        lastDelivered = checker.deliveredCount;
        lastProgressMs = now;
      }
      if (now - lastLogMs > 5_000) {
        lastLogMs = now;
        say(`  ${checker.deliveredCount} / ${o.requests} delivered after ${((now - submitStart) / 1000).toFixed(0)} s${submitExit === undefined ? '' : `, submit exited ${submitExit}`}`);
      }
      if (submitExit !== undefined && submitExit !== 0) throw new Error(`submit exited with ${submitExit} (see ${join(runDir, 'submit.log')})`);
      for (const c of children) if (c.proc.exitCode !== null) throw new Error(`${c.name} exited with ${c.proc.exitCode} (see its log)`);
      if (now > deadline) throw new Error(`timed out after ${o.timeoutS} s with ${checker.deliveredCount} of ${o.requests} delivered`);
      if (submitExit !== undefined && now - lastProgressMs > o.idleTimeoutS * 1000) break;
    }
    sampling = false;
    await refreshRunBackends().catch(() => undefined);
    for (const g of groupsCpu) g.sample();
    const selfCpu = process.cpuUsage(selfCpu0);
    const machine1 = readMachineCpu();
    const cpuEndMs = Date.now();
    await stopSampler();
    // A short settle: a duplicate would arrive after the last first arrival.
    await sleep(2_000);
    await submit.exited;
    await sleep(50);
    const summary = checker.summary();

    say('  reading request timestamps');
    const ts = await readSubmitTimes(kafka, names.requests, names.jobId, o.requests, `${runId}.timestamps`, 60_000);
    let firstSubmitMs = Number.POSITIVE_INFINITY;
    let lastSubmitMs = Number.NEGATIVE_INFINITY;
    for (const t of ts.submittedAtMs) {
      if (t < firstSubmitMs) firstSubmitMs = t;
      if (t > lastSubmitMs) lastSubmitMs = t;
    }
    const latency = latencySummary(ts.submittedAtMs, checker.visibleAtMs);
    const throughput = throughputSummary(firstSubmitMs, sortedFinite(checker.visibleAtMs));
    // CPU is sampled from the start of submit to the first arrival of the last request.
    const intervalMs = cpuEndMs - submitStart;
    const capacity = (availableParallelism() * intervalMs) / 1000;
    const rows: CpuRow[] = groupsCpu.map((g) => ({ component: g.name, processes: g.processCount, cpuSeconds: g.usedTicks() / ticksPerSec, shareOfMachine: 0 }));
    rows.push({ component: 'submit (switchyard submit, whole process)', processes: 1, cpuSeconds: submitTicks / ticksPerSec, shareOfMachine: 0 });
    rows.push({ component: 'checker (this process: consumer + decode)', processes: 1, cpuSeconds: (selfCpu.user + selfCpu.system) / 1e6, shareOfMachine: 0 });
    // The run's Postgres backends are a part of all Postgres processes: counted once.
    const measured = rows.reduce((a, r) => a + (Number.isFinite(r.cpuSeconds) && !r.component.startsWith("Postgres backends of this run") ? r.cpuSeconds : 0), 0);
    const machineBusy = (machine1.busyTicks - machine0.busyTicks) / ticksPerSec;
    // Whatever else ran on the machine meanwhile (other jobs; the kernel's own work): on a shared
    // machine this is what the run competed with.
    rows.push({ component: 'everything else on the machine', processes: 0, cpuSeconds: machineBusy - measured, shareOfMachine: 0 });
    rows.push({ component: 'idle', processes: 0, cpuSeconds: capacity - machineBusy, shareOfMachine: 0 });
    for (const r of rows) r.shareOfMachine = r.cpuSeconds / capacity;
    const routerCpuSeconds = routerGroup.usedTicks() / ticksPerSec;

    const target = 10_000;
    const report: Report = {
      bench: 'e2e',
      startedAt,
      env: { node: process.version, cpuModel: cpus()[0]?.model ?? 'unknown', cpus: availableParallelism(), memoryGiB: totalmem() / 2 ** 30, loadAverage1m: { start: loadAtStart, end: loadavg()[0] ?? 0 } },
      settings: {
        requests: o.requests,
        routerInstances: o.routerInstances,
        poolSize: o.poolSize,
        partitions: o.partitions,
        policy: o.policy,
        maxBatchRequests: o.maxBatchRequests,
        maxBatchTokens: o.maxBatchTokens,
        flushIntervalMs: o.flushIntervalMs,
        maxInFlightBatches: o.maxInFlightBatches,
        scoreChunkRequests: o.scoreChunkRequests,
        fetchMinBytes: o.fetchMinBytes,
        fetchMaxWaitMs: o.fetchMaxWaitMs,
        scoring: o.scoring,
        ledger: o.ledger,
        synthetic: !useDataset,
        maxOutputTokens: o.maxOutputTokens,
        timeoutS: o.timeoutS,
        idleTimeoutS: o.idleTimeoutS,
        ...(o.rate !== undefined ? { rate: o.rate } : {}),
        routerNodeArgs: o.routerNodeArgs,
        dataset: useDataset ? resolve(datasetPath) : 'synthetic',
        models: data.models.length,
        jobFileBytes,
      },
      names: { runId, jobId: names.jobId },
      submit: {
        elapsedMs: submitEndMs - submitStart,
        requestsPerSec: o.requests / ((submitEndMs - submitStart) / 1000),
        recordSpanMs: lastSubmitMs - firstSubmitMs,
        recordsPerSec: o.requests / ((lastSubmitMs - firstSubmitMs) / 1000),
        exitCode: submitExit ?? null,
      },
      throughput,
      latency,
      latencyDefinition:
        'time the read_committed consumer of this benchmark received the routed batch (or dead letter) holding the request, minus the request record\'s Kafka timestamp (CreateTime set by the submit producer); same machine clock; consumer maxWaitTimeInMs 50',
      cpu: { intervalMs, capacityCpuSeconds: capacity, rows, requestsPerRouterCpuSecond: summary.delivered / routerCpuSeconds },
      check: { ...summary, submitTimestampsRead: ts.records },
      targetRequestsPerSec: target,
      targetMet: { overall: throughput.requestsPerSec >= target, steady: throughput.steady.requestsPerSec >= target, atLeastOneMillion: o.requests >= 1_000_000 },
    };
    if (undecodable.count > 0) say(`  ${undecodable.count} output records could not be decoded`);

    const f0 = (n: number): string => (Number.isFinite(n) ? n.toFixed(0) : '-');
    const f1 = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : '-');
    console.log(`end-to-end on ${report.env.cpuModel} (${report.env.cpus} CPUs, ${report.env.memoryGiB.toFixed(1)} GiB, 1-min load ${loadAtStart.toFixed(1)} -> ${report.env.loadAverage1m.end.toFixed(1)}), node ${process.version}`);
    console.log(`${o.requests} requests, ${o.routerInstances} router(s) x ${o.poolSize} workers, ${o.partitions} partitions, policy ${o.policy}, scoring ${o.scoring}, ledger ${o.ledger}, batches <= ${o.maxBatchRequests} requests / ${o.maxBatchTokens} tokens, flush ${o.flushIntervalMs} ms${o.rate === undefined ? '' : `, open loop at ${o.rate} requests/s`}`);
    console.log(
      formatTable(
        ['measure', 'value'],
        [
          ['submit: requests/s (child process, start to exit)', f0(report.submit.requestsPerSec)],
          ['submit: requests/s (first to last request record timestamp)', f0(report.submit.recordsPerSec)],
          ['end to end: requests/s (first submit -> last visible)', f0(throughput.requestsPerSec)],
          [`end to end: requests/s, steady ${throughput.steady.from * 100}%..${throughput.steady.to * 100}% of arrivals`, f0(throughput.steady.requestsPerSec)],
          ['elapsed s (first submit -> last visible)', f1(throughput.elapsedMs / 1000)],
          ['first request visible after s (pipeline start-up)', f1(throughput.firstVisibleAfterMs / 1000)],
          ['requests per router CPU second (all router processes)', f0(report.cpu.requestsPerRouterCpuSecond)],
          ['latency p50 ms (record timestamp -> visible read_committed)', f0(latency.p50Ms)],
          ['latency p90 ms', f0(latency.p90Ms)],
          ['latency p99 ms', f0(latency.p99Ms)],
          ['latency max ms', f0(latency.maxMs)],
          [`target ${target} requests/s over >= 1,000,000 requests`, targetVerdict(report.targetMet, target)],
        ],
      ),
    );
    console.log(`\nCPU over the run (${f1(intervalMs / 1000)} s from submit start to the last arrival; capacity ${f1(capacity)} CPU s on ${availableParallelism()} CPUs)`);
    console.log(formatTable(['component', 'processes', 'CPU s', 'share of machine'], rows.map((r) => [r.component, String(r.processes), f1(r.cpuSeconds), `${(r.shareOfMachine * 100).toFixed(1)}%`])));
    console.log(
      `\nexactly-once check: ${summary.delivered} of ${summary.expected} requests delivered (${summary.routed} in routed batches, ${summary.deadLettered} dead-lettered), ${summary.duplicates} duplicates, ${summary.missing} missing, ${summary.foreign} foreign, ${summary.deferrals} deferrals: ${summary.exactlyOnce ? 'OK' : 'FAILED'}`,
    );
    if (!summary.exactlyOnce) {
      console.log(`  first missing request lines: ${checker.missingSample(10).map((i) => i + 1).join(', ')}`);
      failed = true;
    }
    if (o.json !== undefined) {
      mkdirSync(dirname(resolve(o.json)), { recursive: true });
      writeFileSync(o.json, `${JSON.stringify(report, null, 2)}\n`);
      console.log(`wrote ${o.json}`);
    }
  } catch (err) {
    failed = true;
    say(`bench:e2e failed: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    if (o.keep) {
      say(`  kept: ${runDir} and the run's topics and rows (${runId})`);
      for (const c of children) if (c.proc.exitCode === null) c.proc.kill('SIGTERM');
    } else {
      while (cleanups.length > 0) {
        const c = cleanups.pop()!;
        await c.run().catch((err: unknown) => say(`  cleanup of ${c.what} failed: ${err instanceof Error ? err.message : String(err)}`));
      }
      if (!failed) rmSync(runDir, { recursive: true, force: true });
      else {
        rmSync(join(runDir, 'job.jsonl'), { force: true });
        say(`  logs kept in ${runDir}`);
      }
    }
  }
  if (failed) process.exitCode = 1;
}

await main();
