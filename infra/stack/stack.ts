import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { migrate, redactUrl } from '@switchyard/store';
import { parseStackConfig, type StackConfigInput } from './config.ts';
import { ensureKafka, kafkaClusterId, kafkaLibs, probeKafka } from './kafka.ts';
import { components, layoutOf, type Component, type Layout } from './layout.ts';
import { withFileLock } from './lock.ts';
import { analystUrlOf, ensurePostgres, probePostgres, type PostgresKind } from './postgres.ts';
import { isAlive, isOurs, readPidFile, stopProcess, type StopOutcome } from './process.ts';
import { ensureRegistry, probeRegistry } from './registry.ts';

export interface StackInfo {
  kafkaBrokers: string[];
  /** Confluent-compatible base URL, `.../apis/ccompat/v7`. */
  registryUrl: string;
  /** switchyard_writer on database switchyard (services). */
  postgresUrl: string;
  /** switchyard_analyst on database switchyard (read-only). */
  analystUrl: string;
  /** Admin role on database switchyard (migrations, test fixtures). */
  adminUrl: string;
  /** server: a real Postgres; embedded: PGlite (roles not enforced); external: SWITCHYARD_PG_URL. */
  postgresKind: PostgresKind;
  /** What this call started (and so what its caller may stop); false when reused. */
  startedByUs: { kafka: boolean; registry: boolean; postgres: boolean };
}

export interface EnsureStackOptions {
  /** Config input (see StackConfigSchema); build it from the environment with stackConfigFromEnv. */
  readonly config?: StackConfigInput;
  readonly log?: (line: string) => void;
}

/**
 * Reuses whatever already answers on the stack's ports and starts the rest: Kafka, the schema
 * registry and Postgres (provisioned and migrated). Safe to call from several processes at once.
 */
export async function ensureStack(opts: EnsureStackOptions = {}): Promise<StackInfo> {
  const config = parseStackConfig(opts.config ?? {});
  const layout = layoutOf(config);
  const log = opts.log ?? (() => undefined);
  await mkdir(layout.runDir, { recursive: true });
  await mkdir(layout.logsDir, { recursive: true });

  return withFileLock(layout.lockFile, config.startTimeoutMs * 2, async () => {
    const pidsBefore = await ourPids(layout);
    const timed = <T>(name: Component, p: Promise<T>): Promise<T> => {
      const t0 = performance.now();
      return p.then((v) => {
        log(`${name}: ready after ${((performance.now() - t0) / 1000).toFixed(1)} s`);
        return v;
      });
    };
    let kafkaJarsReady: () => void = () => undefined;
    const kafkaDownloadDone = new Promise<void>((resolveDone) => {
      kafkaJarsReady = resolveDone;
    });
    const kafkaP = timed('kafka', ensureKafka(config, layout, log, kafkaJarsReady));
    // Started side by side (the JVMs overlap their startup), but the registry's Maven download
    // waits for Kafka's (see ensureRegistry).
    const registryP = timed('registry', ensureRegistry(config, layout, log, kafkaDownloadDone));
    const postgresP = timed('postgres', ensurePostgres(config, layout, log).then(async (pgEndpoint) => {
      if (config.migrate) {
        const { applied } = await migrate(pgEndpoint.adminUrl);
        if (applied.length > 0) log(`postgres: applied migrations ${applied.join(', ')}`);
      }
      return pgEndpoint;
    }));
    // Wait for every start to settle before failing, so no start is left running unobserved.
    const [kafka, registry, postgres] = await Promise.allSettled([kafkaP, registryP, postgresP]);
    const failure = [kafka, registry, postgres].find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure !== undefined) {
      // A half-started stack is worse than none: stop what this call started, keep the rest.
      const pidsAfter = await ourPids(layout);
      const startedNow = components.filter((c) => pidsAfter[c] !== undefined && pidsAfter[c] !== pidsBefore[c]);
      if (startedNow.length > 0) {
        log(`stopping ${startedNow.join(', ')} after the failed start`);
        await stopStack({ config: opts.config ?? {}, components: startedNow });
      }
      throw failure.reason;
    }
    if (kafka.status !== 'fulfilled' || registry.status !== 'fulfilled' || postgres.status !== 'fulfilled') {
      throw new Error('unreachable: a rejected start was rethrown above');
    }
    return {
      kafkaBrokers: kafka.value.brokers,
      registryUrl: registry.value.url,
      postgresUrl: postgres.value.writerUrl,
      analystUrl: postgres.value.analystUrl,
      adminUrl: postgres.value.adminUrl,
      postgresKind: postgres.value.kind,
      startedByUs: { kafka: kafka.value.startedByUs, registry: registry.value.startedByUs, postgres: postgres.value.startedByUs },
    };
  });
}

async function ourPids(layout: Layout): Promise<Partial<Record<Component, number>>> {
  const pids: Partial<Record<Component, number>> = {};
  for (const c of components) {
    const rec = await readPidFile(layout.pidFile(c));
    if (rec !== undefined && isOurs(rec)) pids[c] = rec.pid;
  }
  return pids;
}

export interface StopStackOptions {
  readonly config?: StackConfigInput;
  /** Only these components (default: all); only processes this stack's pid files describe. */
  readonly components?: readonly Component[];
  /** Leave everything running while another registered user (see registerStackUser) is alive. */
  readonly unlessInUse?: boolean;
  readonly log?: (line: string) => void;
}

export type StopStackResult = Record<Component, StopOutcome | 'kept_in_use'>;

/** Stops what the stack started (pid files under .stack/run); never touches anything else. */
export async function stopStack(opts: StopStackOptions = {}): Promise<StopStackResult> {
  const config = parseStackConfig(opts.config ?? {});
  const layout = layoutOf(config);
  const log = opts.log ?? (() => undefined);
  const wanted = new Set(opts.components ?? components);
  const inUse = opts.unlessInUse === true && (await otherUsers(layout)).length > 0;
  const result = {} as StopStackResult;
  // Registry and Postgres first: Kafka is the slowest to stop, and nothing depends on the others.
  for (const component of ['registry', 'postgres', 'kafka'] as const) {
    if (!wanted.has(component)) {
      result[component] = 'not_running';
      continue;
    }
    if (inUse) {
      result[component] = 'kept_in_use';
      continue;
    }
    result[component] = await stopProcess(layout.pidFile(component), config.stopTimeoutMs);
    if (result[component] !== 'not_running') log(`${component}: ${result[component]}`);
  }
  return result;
}

/**
 * Records this process as a user of the stack (for stopStack's unlessInUse), so a test run that
 * started the stack does not stop it under another run in the same checkout.
 */
export async function registerStackUser(opts: { config?: StackConfigInput } = {}): Promise<() => Promise<void>> {
  const layout = layoutOf(parseStackConfig(opts.config ?? {}));
  const dir = join(layout.runDir, 'users');
  await mkdir(dir, { recursive: true });
  const file = join(dir, String(process.pid));
  await writeFile(file, new Date().toISOString() + '\n');
  return () => rm(file, { force: true });
}

async function otherUsers(layout: Layout): Promise<number[]> {
  const dir = join(layout.runDir, 'users');
  const entries = await readdir(dir).catch(() => [] as string[]);
  const alive: number[] = [];
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    if (isAlive(pid)) alive.push(pid);
    else await rm(join(dir, entry), { force: true });
  }
  return alive;
}

export interface ComponentStatus {
  readonly component: Component;
  readonly ready: boolean;
  readonly endpoint: string;
  /** Pid from our pid file when that process is alive; undefined when not started by the stack. */
  readonly pid: number | undefined;
  readonly log: string;
  /** Postgres only: the read-only analyst role's URL (password included; redact before printing). */
  readonly analystUrl?: string;
}

/** The lines `stack:status` prints; `redact` hides passwords in URLs. */
export function formatStatus(statuses: readonly ComponentStatus[], redact: (url: string) => string): string[] {
  const lines: string[] = [];
  for (const s of statuses) {
    const owner = s.pid !== undefined ? `started by stack (pid ${s.pid})` : 'not started by this stack';
    lines.push(`  ${s.component.padEnd(9)} ${s.ready ? 'ready' : 'DOWN '}  ${s.endpoint}  [${owner}]  log ${s.log}`);
    if (s.analystUrl !== undefined) lines.push(`  ${'analyst'.padEnd(9)} ${redact(s.analystUrl)}`);
  }
  return lines;
}

export async function stackStatus(opts: { config?: StackConfigInput } = {}): Promise<ComponentStatus[]> {
  const config = parseStackConfig(opts.config ?? {});
  const layout = layoutOf(config);
  const pidOf = async (c: Component): Promise<number | undefined> => {
    const rec = await readPidFile(layout.pidFile(c));
    return rec !== undefined && isOurs(rec) ? rec.pid : undefined;
  };
  const brokers = config.kafka.externalBrokers ?? [`${config.kafka.host}:${config.kafka.port}`];
  const registryUrl = config.registry.externalUrl ?? `http://${config.registry.host}:${config.registry.port}/apis/ccompat/v7`;
  const embeddedUrl = `postgres://postgres@127.0.0.1:${config.postgres.embeddedPort}/postgres`;
  const pgPid = await pidOf('postgres');
  const pgUrl = config.postgres.externalUrl ?? (pgPid !== undefined ? embeddedUrl : config.postgres.adminUrl);
  const clusterId = await kafkaClusterId(layout);
  return [
    {
      component: 'kafka',
      ready: await probeKafka(brokers),
      endpoint: brokers.join(',') + (clusterId !== undefined ? ` (cluster ${clusterId})` : ''),
      pid: await pidOf('kafka'),
      log: layout.logFile('kafka'),
    },
    { component: 'registry', ready: await probeRegistry(registryUrl), endpoint: registryUrl, pid: await pidOf('registry'), log: layout.logFile('registry') },
    {
      component: 'postgres',
      ready: await probePostgres(pgUrl),
      endpoint: redactUrl(pgUrl),
      pid: pgPid,
      log: layout.logFile('postgres'),
      analystUrl: analystUrlOf(config, config.postgres.externalUrl !== undefined ? 'external' : pgPid !== undefined ? 'embedded' : 'server'),
    },
  ];
}

/**
 * Folder of the jars of the Kafka version the stack runs (installed into the stack cache on
 * first use), for running Kafka's own Java clients and tools: `java -cp '<folder>/*' ...`.
 */
export async function kafkaJars(opts: { config?: StackConfigInput; log?: (line: string) => void } = {}): Promise<string> {
  const config = parseStackConfig(opts.config ?? {});
  return kafkaLibs(config, layoutOf(config), opts.log);
}
