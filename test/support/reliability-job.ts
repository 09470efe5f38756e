// The set-up every reliability test shares: a uniquely named job with its topics, a scratch
// folder for router configs and logs, the router child processes, output readers, and one
// clean-up (kill what is left, stop the readers, delete the job's topics, subjects and rows, and
// the folder unless KEEP_TEST_LOGS is set). A test declares what is particular to it (models,
// partitions, a private broker, config overrides) and keeps only its scenario.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { afterAll } from 'vitest';
import type { StackInfo } from '@switchyard/stack';
import { createKafka, stack, uniqueName } from './index.ts';
import { OutputReader, RouterProcesses, checkInvariants, cleanUpJob, createJobTopics, jobTopics, produceSyntheticJob, writeRouterConfig } from './router-job.ts';
import type { InvariantReport, ModelSpec, RouterFileConfig, SyntheticJob } from './router-job.ts';

/** Two models with budgets no test run reaches: every request is routable at once. */
export function unboundedModels(prefix: string): ModelSpec[] {
  return [
    { name: `${prefix}-a`, tokensPerMinute: 50_000_000, maxBatchTokens: 6_000, maxBatchRequests: 40 },
    { name: `${prefix}-b`, tokensPerMinute: 50_000_000, maxBatchTokens: 8_000, maxBatchRequests: 60 },
  ];
}

export interface ReliabilityJobOptions {
  /** The job's models from its prefix; default `unboundedModels`. */
  readonly models?: (prefix: string) => ModelSpec[];
  readonly partitions?: number;
}

export class ReliabilityJob {
  readonly prefix: string;
  readonly jobId: string;
  readonly models: readonly ModelSpec[];
  readonly partitions: number;
  readonly routers = new RouterProcesses();
  #dir = '';
  #broker: StackInfo | null = null;
  #kafka: Kafka | null = null;
  readonly #readers: OutputReader[] = [];
  readonly #cleanups: (() => Promise<void>)[] = [];

  constructor(name: string, opts: ReliabilityJobOptions = {}) {
    this.prefix = uniqueName(name);
    this.jobId = `${this.prefix}-job`;
    this.models = (opts.models ?? unboundedModels)(this.prefix);
    this.partitions = opts.partitions ?? 3;
  }

  /** Makes the scratch folder (or adopts `dir`) and the job's topics on `broker` (default the shared stack's). */
  async open(opts: { broker?: StackInfo; dir?: string } = {}): Promise<this> {
    this.#broker = opts.broker ?? stack();
    this.#dir = opts.dir ?? (await mkdtemp(join(tmpdir(), `${this.prefix.slice(0, 12)}-`)));
    this.#kafka = createKafka(this.prefix, this.#broker);
    await createJobTopics(this.#kafka, this.prefix, this.models, this.partitions);
    return this;
  }

  get dir(): string {
    return this.#required(this.#dir || null, 'dir');
  }

  get kafka(): Kafka {
    return this.#required(this.#kafka, 'kafka');
  }

  /** Path of a file in the scratch folder. */
  file(name: string): string {
    return join(this.dir, name);
  }

  /** Writes `<instanceId>.json`, a router config for this job with its own instance id, and returns its path. */
  async routerConfig(instanceId: string, extra: Partial<Pick<RouterFileConfig, 'overrides' | 'service' | 'postgresUrl'>> = {}): Promise<string> {
    const info = stack();
    const file = this.file(`${instanceId}.json`);
    await writeRouterConfig(file, {
      brokers: this.#required(this.#broker, 'broker').kafkaBrokers,
      registryUrl: info.registryUrl,
      postgresUrl: info.postgresUrl,
      clientId: this.prefix,
      topics: jobTopics(this.prefix),
      partitions: this.partitions,
      models: this.models,
      instanceId,
      ...extra,
    });
    return file;
  }

  /** Starts a router on `configFile`, logging to `<name>.log` in the scratch folder. */
  startRouter(configFile: string, name: string): ReturnType<RouterProcesses['start']> {
    return this.routers.start(configFile, name, this.file(`${name}.log`));
  }

  produce(n: number, seed: number): Promise<SyntheticJob> {
    return produceSyntheticJob(this.kafka, stack().registryUrl, { prefix: this.prefix, jobId: this.jobId, n, seed });
  }

  /** A started reader of everything the router writes (read_committed unless `uncommitted`). */
  async reader(uncommitted = false): Promise<OutputReader> {
    const r = new OutputReader(this.kafka, stack().registryUrl, this.prefix, this.models.map((m) => m.name), uncommitted);
    this.#readers.push(r);
    await r.start();
    return r;
  }

  check(reader: OutputReader, job: SyntheticJob): Promise<InvariantReport> {
    return checkInvariants({ reader, ids: job.ids, jobId: this.jobId, prefix: this.prefix, models: this.models, adminUrl: stack().adminUrl });
  }

  /** Runs at close, before the job's topics go (last registered first). */
  onClose(fn: () => Promise<void>): void {
    this.#cleanups.unshift(fn);
  }

  async close(): Promise<void> {
    await this.routers.killAll();
    for (const r of this.#readers) await r.stop().catch(() => undefined);
    for (const fn of this.#cleanups) await fn().catch(() => undefined);
    if (this.#broker !== null) await cleanUpJob(createKafka(this.prefix, this.#broker), stack().adminUrl, this.prefix, this.jobId).catch(() => undefined);
    if (this.#dir !== '' && process.env['KEEP_TEST_LOGS'] === undefined) await rm(this.#dir, { recursive: true, force: true });
  }

  #required<T>(v: T | null, what: string): T {
    if (v === null) throw new Error(`reliability job ${this.prefix}: open() before using ${what}`);
    return v;
  }
}

/** A job closed after the enclosing describe block; call it at describe level. */
export function reliabilityJob(name: string, opts?: ReliabilityJobOptions): ReliabilityJob {
  const job = new ReliabilityJob(name, opts);
  afterAll(() => job.close());
  return job;
}
