// Shared pieces of the router tests that run `services/router/src/main.ts` as child processes:
// a config file, the child processes themselves, a synthetic job written to the requests topic,
// read_committed (and read_uncommitted) readers of everything the router writes, and the
// exactly-once / budget checks every such test ends with.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Consumer, Kafka } from 'kafkajs';
import { AvroSerde, contracts, createRegistryClient } from '@switchyard/contracts';
import type { DeadLetterV1, DeferredV1, RequestV1, RoutedBatchV1 } from '@switchyard/contracts';
import { generateSyntheticDataset } from '@switchyard/datasets';
import { uniqueName, withClient } from './index.ts';

export interface JobTopics {
  readonly requests: string;
  readonly deferred: string;
  readonly deadLetter: string;
  readonly routedTemplate: string;
}

export interface ModelSpec {
  readonly name: string;
  readonly tokensPerMinute: number;
  readonly tokensPerDay?: number;
  readonly maxBatchTokens: number;
  readonly maxBatchRequests: number;
}

export function jobTopics(prefix: string): JobTopics {
  return { requests: `${prefix}.requests`, deferred: `${prefix}.deferred`, deadLetter: `${prefix}.dlq`, routedTemplate: `${prefix}.routed.{model}` };
}

export function routedTopic(prefix: string, model: string): string {
  return `${prefix}.routed.${model}`;
}

export interface RouterFileConfig {
  readonly brokers: readonly string[];
  readonly registryUrl: string;
  readonly postgresUrl: string;
  readonly clientId: string;
  readonly topics: JobTopics;
  readonly partitions: number;
  readonly models: readonly ModelSpec[];
  readonly instanceId: string;
  /** Extra top-level sections merged over the defaults (e.g. budgets, router, kafka, ops). */
  readonly overrides?: Record<string, unknown>;
  readonly service?: Record<string, unknown>;
}

/**
 * A router config small enough for the 2-core CI machine: a tiny synthetic reference set, a
 * 64-dimensional embedding, TS scoring on one worker, the Postgres ledger, short sessions so a
 * killed member leaves its group quickly, and small fetches so there are many transactions.
 */
export async function writeRouterConfig(file: string, c: RouterFileConfig): Promise<void> {
  const o = c.overrides ?? {};
  const config = {
    kafka: { brokers: c.brokers, clientId: c.clientId, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000, ...(o['kafka'] as object | undefined) },
    registry: { url: c.registryUrl },
    postgres: { connectionString: c.postgresUrl, maxConnections: 4 },
    topics: { ...c.topics, partitions: c.partitions, replicationFactor: 1 },
    models: c.models,
    ...(o['budgets'] !== undefined ? { budgets: o['budgets'] } : {}),
    ...(o['ops'] !== undefined ? { ops: o['ops'] } : {}),
    batching: { flushIntervalMs: 500 },
    workers: { poolSize: 1 },
    scoring: { backend: 'ts' },
    router: { instanceId: c.instanceId, policy: { policy: 'greedy-perf' }, ...(o['router'] as object | undefined) },
    log: { level: 'warn' },
    routerService: {
      reference: { source: 'synthetic', nHistory: 400, seed: 3 },
      embedding: { dim: 64 },
      ann: { kind: 'exact', k: 5 },
      ledger: 'postgres',
      httpPort: 0,
      httpHost: '127.0.0.1',
      fetchMaxBytesPerPartition: 32 * 1024,
      scoreChunkRequests: 256,
      ...c.service,
    },
  };
  await writeFile(file, JSON.stringify(config));
}

/** Router child processes of one test; stderr lines are prefixed with the process name. */
export class RouterProcesses {
  readonly children: ChildProcess[] = [];

  /** `logFile`: where the process's stdout (its pino log) goes; default discarded. */
  start(configFile: string, name: string, logFile?: string): ChildProcess {
    // Only the config file: the test runner's own SWITCHYARD_* variables are not router settings.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SWITCHYARD_')));
    const child = spawn(process.execPath, ['--import', 'tsx', 'services/router/src/main.ts'], {
      env: { ...env, SWITCHYARD_CONFIG_FILE: configFile },
      stdio: ['ignore', logFile === undefined ? 'ignore' : 'pipe', 'pipe'],
    });
    if (logFile !== undefined) child.stdout?.pipe(createWriteStream(logFile, { flags: 'a' }));
    child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`[${name}] ${chunk.toString()}`));
    this.children.push(child);
    return child;
  }

  static alive(child: ChildProcess): boolean {
    return child.exitCode === null && child.signalCode === null;
  }

  /** Sends `signal` and resolves with the exit code (null after a signal kill). */
  static async stop(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
    if (!RouterProcesses.alive(child)) return child.exitCode;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill(signal);
    return exited;
  }

  async killAll(): Promise<void> {
    for (const c of this.children) if (RouterProcesses.alive(c)) await RouterProcesses.stop(c, 'SIGKILL');
  }
}

/** A TCP port free right now on 127.0.0.1 (for a child's ops server, a private broker). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Waits until a router's /readyz answers 200 (it consumes: booted, joined, not stopping). */
export async function waitReady(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status === 200, () => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`router on port ${port} not ready within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Resident set size of a process in KiB, from /proc/<pid>/status (Linux). */
export async function rssKiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
  if (m === null) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]);
}

export async function createJobTopics(kafka: Kafka, prefix: string, models: readonly ModelSpec[], partitions: number): Promise<void> {
  const t = jobTopics(prefix);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const all = [t.requests, t.deferred, t.deadLetter, ...models.map((m) => routedTopic(prefix, m.name))];
    await admin.createTopics({ topics: all.map((topic) => ({ topic, numPartitions: partitions })), waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

export interface SyntheticJob {
  readonly jobId: string;
  readonly ids: readonly string[];
}

/**
 * Writes `n` synthetic requests (prompts, no embeddings) to the requests topic with an
 * idempotent producer, in chunks so memory stays small.
 */
export async function produceSyntheticJob(
  kafka: Kafka,
  registryUrl: string,
  opts: { prefix: string; jobId: string; n: number; seed: number; tenantOf?: (i: number) => string; maxOutputTokens?: number },
): Promise<SyntheticJob> {
  const topic = jobTopics(opts.prefix).requests;
  const serde = await AvroSerde.forTopic(createRegistryClient({ url: registryUrl }), topic, contracts.request);
  const data = generateSyntheticDataset({ nHistory: 10, nTest: opts.n, models: 2, seed: opts.seed });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const ids: string[] = [];
  try {
    const now = Date.now();
    const chunk = 2_000;
    for (let start = 0; start < opts.n; start += chunk) {
      const messages = data.test.slice(start, start + chunk).map((q, j) => {
        const i = start + j;
        const r: RequestV1 = {
          requestId: `${opts.prefix}-r${i}`,
          jobId: opts.jobId,
          tenant: opts.tenantOf?.(i) ?? 't',
          prompt: q.prompt,
          embedding: null,
          promptTokens: null,
          maxOutputTokens: opts.maxOutputTokens ?? 128,
          priority: 0,
          deadline: null,
          allowedModels: null,
          metadata: {},
          submittedAt: now,
        };
        ids.push(r.requestId);
        return { key: r.requestId, value: serde.encode(r) };
      });
      await producer.send({ topic, messages });
    }
  } finally {
    await producer.disconnect();
  }
  return { jobId: opts.jobId, ids };
}

export interface RoutedRecord {
  readonly topic: string;
  readonly batch: RoutedBatchV1;
}

/**
 * Reads every topic the router writes. read_committed by default (what downstream consumers
 * see); read_uncommitted also sees the outputs of transactions that were aborted or never
 * committed, which is how a test counts the work a crash made the router redo.
 */
export class OutputReader {
  readonly routed: RoutedRecord[] = [];
  readonly deferred: DeferredV1[] = [];
  readonly dead: DeadLetterV1[] = [];
  readonly decodeFailures: string[] = [];
  /** Request ids in routed batches or dead letters, as they arrive. */
  private readonly seen = new Set<string>();
  private routedRequests = 0;
  private readonly positions = new Set<string>();
  /** Records this reader was handed again (same topic, partition and offset) and skipped. */
  reread = 0;
  private consumer: Consumer | null = null;

  constructor(
    private readonly kafka: Kafka,
    private readonly registryUrl: string,
    private readonly prefix: string,
    private readonly models: readonly string[],
    private readonly readUncommitted = false,
  ) {}

  async start(): Promise<void> {
    const t = jobTopics(this.prefix);
    const registry = createRegistryClient({ url: this.registryUrl });
    const deferredSerde = await AvroSerde.forTopic(registry, t.deferred, contracts.deferred);
    const dlqSerde = await AvroSerde.forTopic(registry, t.deadLetter, contracts.deadLetter);
    const routedSerdes = new Map<string, AvroSerde<RoutedBatchV1>>();
    for (const m of this.models) routedSerdes.set(routedTopic(this.prefix, m), await AvroSerde.forTopic(registry, routedTopic(this.prefix, m), contracts.routedBatch));
    const consumer = this.kafka.consumer({ groupId: uniqueName(`${this.prefix}-reader`), readUncommitted: this.readUncommitted, maxWaitTimeInMs: 500 });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [t.deferred, t.deadLetter, ...routedSerdes.keys()], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        // This reader commits its own offsets now and then; after a broker restart or a
        // rebalance it reads again from the last one. Count each record once, by position,
        // so only duplicates the router wrote (same id at another offset) show up.
        const position = `${topic}\u0000${partition}\u0000${message.offset}`;
        if (this.positions.has(position)) {
          this.reread++;
          return;
        }
        this.positions.add(position);
        if (topic === t.deferred) {
          const d = await deferredSerde.decode(message.value);
          if (d.ok) this.deferred.push(d.value);
          else this.decodeFailures.push(`${topic}: ${d.detail}`);
        } else if (topic === t.deadLetter) {
          const d = await dlqSerde.decode(message.value);
          if (d.ok) {
            this.dead.push(d.value);
            this.seen.add(d.value.originalKey?.toString('utf8') ?? '');
          } else this.decodeFailures.push(`${topic}: ${d.detail}`);
        } else {
          const d = await routedSerdes.get(topic)!.decode(message.value);
          if (d.ok) {
            this.routed.push({ topic, batch: d.value });
            this.routedRequests += d.value.requests.length;
            for (const q of d.value.requests) this.seen.add(q.requestId);
          } else this.decodeFailures.push(`${topic}: ${d.detail}`);
        }
      },
    });
  }

  /** Distinct request ids that reached a final topic (routed or dead-lettered). */
  finished(): number {
    return this.seen.size;
  }

  /** Request occurrences in routed batches, duplicates included. */
  routedCount(): number {
    return this.routedRequests;
  }

  /** Every final occurrence of a request id, duplicates included. */
  finalIds(): string[] {
    return [...this.routed.flatMap((r) => r.batch.requests.map((q) => q.requestId)), ...this.dead.map((d) => d.originalKey?.toString('utf8') ?? '')];
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
    this.consumer = null;
  }
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

export interface InvariantReport {
  readonly routed: number;
  readonly batches: number;
  readonly deferred: number;
  readonly deadLetters: number;
  readonly fallbacks: number;
  /** Problems found; empty when every invariant holds. */
  readonly problems: string[];
}

/**
 * The end-of-job invariants, as a list of problems (so a failing test names all of them):
 * - every request id appears exactly once across the routed topics and the dead-letter topic,
 *   and nothing else appears there;
 * - every deferred record is one of the job's requests;
 * - no batch breaks its model's token or request bound and no model window (minute, day) is
 *   exceeded by what was committed;
 * - Postgres holds exactly one decision per request, agreeing with the committed batch;
 * - no budget_usage row of this job's rules is above its limit.
 */
export async function checkInvariants(opts: {
  reader: OutputReader;
  ids: readonly string[];
  jobId: string;
  prefix: string;
  models: readonly ModelSpec[];
  adminUrl: string;
}): Promise<InvariantReport> {
  const { reader, ids } = opts;
  const problems: string[] = [];
  const expected = new Set(ids);
  const counts = new Map<string, number>();
  for (const id of reader.finalIds()) counts.set(id, (counts.get(id) ?? 0) + 1);
  const dup = [...counts].filter(([, n]) => n > 1);
  if (dup.length > 0) problems.push(`${dup.length} request ids appear more than once, e.g. ${dup.slice(0, 5).map(([id, n]) => `${id} x${n}`).join(', ')}`);
  const missing = ids.filter((id) => !counts.has(id));
  if (missing.length > 0) problems.push(`${missing.length} request ids never reached a final topic, e.g. ${missing.slice(0, 5).join(', ')}`);
  const strangers = [...counts.keys()].filter((id) => !expected.has(id));
  if (strangers.length > 0) problems.push(`${strangers.length} unknown ids in the outputs, e.g. ${strangers.slice(0, 5).join(', ')}`);
  const strangeDeferred = reader.deferred.filter((d) => !expected.has(d.request.requestId));
  if (strangeDeferred.length > 0) problems.push(`${strangeDeferred.length} deferred records of unknown requests`);
  if (reader.decodeFailures.length > 0) problems.push(`decode failures: ${reader.decodeFailures.slice(0, 3).join('; ')}`);

  const byModel = new Map(opts.models.map((m) => [m.name, m]));
  const windowUse = new Map<string, number>();
  const addUse = (key: string, tokens: number): void => void windowUse.set(key, (windowUse.get(key) ?? 0) + tokens);
  for (const { topic, batch } of reader.routed) {
    const m = byModel.get(batch.model);
    if (m === undefined || topic !== routedTopic(opts.prefix, batch.model)) {
      problems.push(`batch ${batch.batchId} of model ${batch.model} in topic ${topic}`);
      continue;
    }
    if (batch.requests.length === 0 || batch.requests.length > m.maxBatchRequests) problems.push(`batch ${batch.batchId}: ${batch.requests.length} requests`);
    if (batch.totalEstimatedTokens > m.maxBatchTokens) problems.push(`batch ${batch.batchId}: ${batch.totalEstimatedTokens} tokens > ${m.maxBatchTokens}`);
    addUse(`${m.name}|minute|${Math.floor(batch.createdAt / MINUTE_MS)}`, batch.totalEstimatedTokens);
    addUse(`${m.name}|day|${Math.floor(batch.createdAt / DAY_MS)}`, batch.totalEstimatedTokens);
  }
  for (const [key, used] of windowUse) {
    const [name, window] = key.split('|') as [string, string];
    const m = byModel.get(name)!;
    const limit = window === 'minute' ? m.tokensPerMinute : m.tokensPerDay;
    if (limit !== undefined && used > limit) problems.push(`window ${key}: ${used} tokens routed > limit ${limit}`);
  }

  const batchOf = new Map<string, string>();
  for (const { batch } of reader.routed) for (const q of batch.requests) batchOf.set(q.requestId, batch.batchId);
  const { rows, usage } = await withClient(opts.adminUrl, async (c) => ({
    rows: (
      await c.query<{ request_id: string; outcome: string; batch_id: string | null }>(
        'SELECT request_id, outcome, batch_id FROM switchyard.decisions WHERE job_id = $1',
        [opts.jobId],
      )
    ).rows,
    usage: (
      await c.query<{ rule_id: string; window_start_ms: string; used_tokens: string; limit_tokens: string }>(
        'SELECT rule_id, window_start_ms, used_tokens, limit_tokens FROM switchyard.budget_usage WHERE rule_id LIKE $1',
        [`%${opts.prefix}%`],
      )
    ).rows,
  }));
  if (rows.length !== ids.length) problems.push(`Postgres has ${rows.length} decisions for ${ids.length} requests`);
  const mismatched: string[] = [];
  for (const r of rows) {
    const inKafka = batchOf.get(r.request_id);
    if (inKafka !== undefined ? r.outcome !== 'routed' || r.batch_id !== inKafka : r.outcome !== 'rejected') {
      mismatched.push(`${r.request_id}: ${r.outcome} ${r.batch_id ?? '-'} in Postgres, ${inKafka ?? 'not routed'} in Kafka`);
    }
  }
  if (mismatched.length > 0) problems.push(`${mismatched.length} Postgres decisions disagree with the committed outputs, e.g. ${mismatched.slice(0, 3).join('; ')}`);
  if (usage.length === 0) problems.push('no budget_usage rows for the job\'s rules');
  for (const u of usage) {
    if (Number(u.used_tokens) > Number(u.limit_tokens)) problems.push(`budget_usage ${u.rule_id}@${u.window_start_ms}: ${u.used_tokens} > ${u.limit_tokens}`);
  }

  return {
    routed: reader.routedCount(),
    batches: reader.routed.length,
    deferred: reader.deferred.length,
    deadLetters: reader.dead.length,
    fallbacks: reader.routed.reduce((n, r) => n + r.batch.requests.filter((q) => q.fallbackRank > 0).length, 0),
    problems,
  };
}

/** Deletes the topics, decisions and budget rows a test created under `prefix`. */
export async function cleanUpJob(kafka: Kafka, adminUrl: string, prefix: string, jobId: string): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const all = await admin.listTopics();
    await admin.deleteTopics({ topics: all.filter((t) => t.startsWith(prefix)) }).catch(() => undefined);
  } catch {
    // The broker may be gone (a test that stops one); its topics go with it.
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  await withClient(adminUrl, async (c) => {
    await c.query('DELETE FROM switchyard.decisions WHERE job_id = $1', [jobId]);
    await c.query('DELETE FROM switchyard.budget_usage WHERE rule_id LIKE $1', [`%${prefix}%`]);
  });
}

/** Polls `value` until it reaches `target` or `timeoutMs` passes; returns the last value. */
export async function waitFor(what: string, value: () => number | Promise<number>, target: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await value();
    if (v >= target) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${v} < ${target}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
