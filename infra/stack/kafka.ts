import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { KafkaConfig as KafkaJsConfig } from 'kafkajs';
import { INSTALL_LOCK_TIMEOUT_MS, repoRoot, type StackConfig } from './config.ts';
import { StackError } from './errors.ts';
import type { Layout } from './layout.ts';
import { installOnce } from './install.ts';
import { isPortOpen } from './net.ts';
import { isOurs, readPidFile, sleep, spawnDetached, tailOf, waitUntil } from './process.ts';
import { classDataSharingFlags, requireJava, runMaven, runTool } from './tools.ts';

export interface KafkaEndpoint {
  readonly brokers: string[];
  readonly startedByUs: boolean;
}

type Log = (line: string) => void;

/** Broker settings: single KRaft node, replication 1 everywhere, tuned for fast tests. */
export function kafkaServerProperties(config: StackConfig, dataDir: string): string {
  const { host, port, controllerPort } = config.kafka;
  return propertiesText({
    ...singleNodeTuning(1, host, controllerPort, dataDir),
    listeners: `PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${host}:${port}`,
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
  });
}

export type Properties = Record<string, string | number | boolean>;

export function propertiesText(props: Properties): string {
  return Object.entries(props)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join('\n')
    .concat('\n');
}

/** What every broker the stack starts shares, whatever its listeners: one KRaft node, small and fast. */
export function singleNodeTuning(nodeId: number, host: string, controllerPort: number, dataDir: string): Properties {
  return {
    'process.roles': 'broker,controller',
    'node.id': nodeId,
    'controller.quorum.voters': `${nodeId}@${host}:${controllerPort}`,
    'controller.listener.names': 'CONTROLLER',
    'log.dirs': dataDir,
    // A typo in a topic name must fail loudly instead of creating a new topic.
    'auto.create.topics.enable': false,
    'num.partitions': 1,
    'default.replication.factor': 1,
    'min.insync.replicas': 1,
    'offsets.topic.replication.factor': 1,
    // Default 50 partitions each for the two coordinator topics slows their first creation.
    'offsets.topic.num.partitions': 5,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'transaction.state.log.num.partitions': 5,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    // Tests create a consumer group per case; the default 3 s delay would stall every join.
    'group.initial.rebalance.delay.ms': 0,
    'transaction.max.timeout.ms': 900_000,
    // Small segments and retention: tests create many short-lived topics on a small disk.
    'log.segment.bytes': 16 * 1024 * 1024,
    'log.retention.ms': 6 * 60 * 60 * 1000,
    'log.retention.bytes': 256 * 1024 * 1024,
    'log.retention.check.interval.ms': 60_000,
    'delete.topic.enable': true,
    // Two cores: keep thread pools small.
    'num.network.threads': 2,
    'num.io.threads': 4,
    'background.threads': 4,
    'num.recovery.threads.per.data.dir': 1,
    'log.cleaner.threads': 1,
  };
}

export function log4j2Properties(logFile: string): string {
  return [
    'status = warn',
    'appender.file.type = RollingFile',
    'appender.file.name = file',
    `appender.file.fileName = ${logFile}`,
    `appender.file.filePattern = ${logFile}.%i`,
    'appender.file.layout.type = PatternLayout',
    'appender.file.layout.pattern = [%d] %p %m (%c)%n',
    'appender.file.policies.type = Policies',
    'appender.file.policies.size.type = SizeBasedTriggeringPolicy',
    'appender.file.policies.size.size = 20MB',
    'appender.file.strategy.type = DefaultRolloverStrategy',
    'appender.file.strategy.max = 3',
    'rootLogger.level = INFO',
    'rootLogger.appenderRef.file.ref = file',
    // The request logger and state-change logger are chatty at INFO and help nobody here.
    'logger.request.name = kafka.request.logger',
    'logger.request.level = WARN',
    'logger.state.name = state.change.logger',
    'logger.state.level = WARN',
    '',
  ].join('\n');
}

async function installKafka(config: StackConfig, layout: Layout, log: Log): Promise<string> {
  const home = join(layout.cacheDir, `kafka-${config.kafka.version}`);
  const libs = join(home, 'libs');
  await installOnce(home, INSTALL_LOCK_TIMEOUT_MS, async (staging) => {
    log(`kafka: resolving kafka_2.13:${config.kafka.version} from Maven Central`);
    await runMaven(
      [
        '-f',
        join(repoRoot, 'infra/kafka/pom.xml'),
        'dependency:copy-dependencies',
        `-Dkafka.version=${config.kafka.version}`,
        `-DoutputDirectory=${join(staging, 'libs')}`,
      ],
      { cwd: repoRoot, logFile: join(layout.logsDir, 'maven-kafka.log'), what: `Kafka ${config.kafka.version}` },
    );
  });
  return libs;
}

/** Jars of the Kafka version the stack runs (installed on first use); for tools such as the Java console producer. */
export async function kafkaLibs(config: StackConfig, layout: Layout, log: Log = () => undefined): Promise<string> {
  return installKafka(config, layout, log);
}

function kafkaClient(brokers: string[]): Kafka {
  return new Kafka({
    clientId: 'switchyard-stack',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 5_000,
    retry: { retries: 0 },
  });
}

/** Ready means the admin API answers a metadata request with at least one broker. */
export async function probeKafka(brokers: string[]): Promise<boolean> {
  const admin = kafkaClient(brokers).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Creates the consumer-offsets and transaction-state topics now, so the first test's group join
 * or InitProducerId does not pay for it (and log COORDINATOR_LOAD_IN_PROGRESS retries).
 */
export async function warmUpCoordinators(brokers: string[], deadline: number, security: Pick<KafkaJsConfig, 'ssl' | 'sasl'> = {}): Promise<void> {
  const kafka = new Kafka({
    clientId: 'switchyard-stack-warmup',
    brokers,
    ...security,
    logLevel: logLevel.NOTHING,
    retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1_000 },
  });
  const admin = kafka.admin();
  const producer = kafka.producer({ transactionalId: 'switchyard-stack-warmup', idempotent: true, maxInFlightRequests: 1 });
  try {
    await admin.connect();
    while ((await admin.describeGroups(['switchyard-stack-warmup']).then(() => true).catch(() => false)) === false) {
      if (Date.now() > deadline) return;
      await sleep(250);
    }
    await producer.connect();
  } finally {
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * @param onJarsReady called once nothing more will be downloaded for Kafka (jars cached, or Kafka
 *   is reused or external), so another Maven download may start.
 */
export async function ensureKafka(config: StackConfig, layout: Layout, log: Log, onJarsReady: () => void = () => undefined): Promise<KafkaEndpoint> {
  try {
    return await ensureKafkaInner(config, layout, log, onJarsReady);
  } finally {
    onJarsReady();
  }
}

async function ensureKafkaInner(config: StackConfig, layout: Layout, log: Log, onJarsReady: () => void): Promise<KafkaEndpoint> {
  const deadline = Date.now() + config.startTimeoutMs;
  if (config.kafka.externalBrokers !== undefined) {
    const brokers = [...config.kafka.externalBrokers];
    await waitUntil(deadline, () => probeKafka(brokers), () => {
      throw new StackError('unreachable', `Kafka at ${brokers.join(',')} (SWITCHYARD_KAFKA_BROKERS) did not answer metadata`);
    });
    return { brokers, startedByUs: false };
  }

  const { host, port, controllerPort } = config.kafka;
  const brokers = [`${host}:${port}`];
  const pidFile = layout.pidFile('kafka');
  const existing = await readPidFile(pidFile);
  const ours = existing !== undefined && isOurs(existing);

  if (await probeKafka(brokers)) {
    log(`kafka: reusing the broker already answering on ${brokers[0]}`);
    return { brokers, startedByUs: false };
  }
  if (!ours) {
    for (const p of [port, controllerPort]) {
      if (await isPortOpen(host, p)) {
        throw new StackError(
          'port_in_use',
          `port ${host}:${p} is taken by a process that is not a Kafka broker answering metadata; stop it or change the port`,
        );
      }
    }
  }

  if (ours) {
    log(`kafka: pid ${existing.pid} is starting, waiting for it`);
  } else {
    const java = await requireJava(join(layout.logsDir, 'java-version.log'));
    const libs = await installKafka(config, layout, log);
    onJarsReady();
    const dataDir = layout.dataDir('kafka');
    const configDir = layout.configDir('kafka');
    await mkdir(configDir, { recursive: true });
    await mkdir(dataDir, { recursive: true });
    const serverProps = join(configDir, 'server.properties');
    const log4j = join(configDir, 'log4j2.properties');
    await writeFile(serverProps, kafkaServerProperties(config, dataDir));
    await writeFile(log4j, log4j2Properties(layout.logFile('kafka')));
    const classpath = `${libs}/*`;
    const jvmCommon = [`-Dlog4j2.configurationFile=${log4j}`, '-Djava.awt.headless=true'];

    if (!existsSync(join(dataDir, 'meta.properties'))) {
      // A fresh cluster id per data folder; the folder is the cluster's identity from here on.
      const clusterId = randomBytes(16).toString('base64url');
      const result = await runTool(
        'java',
        [...jvmCommon, '-XX:TieredStopAtLevel=1', '-cp', classpath, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', serverProps],
        { cwd: repoRoot, logFile: layout.consoleFile('kafka') },
      );
      if (result.code !== 0) {
        throw new StackError('process_exited', `formatting Kafka storage failed (exit ${result.code}); see ${layout.consoleFile('kafka')}`);
      }
      log(`kafka: formatted ${dataDir} (cluster ${clusterId})`);
    }

    const heap = config.kafka.heapMb;
    const record = await spawnDetached({
      command: 'java',
      args: [
        `-Xmx${heap}m`,
        `-Xms${Math.min(256, heap)}m`,
        '-XX:+UseG1GC',
        '-XX:MaxGCPauseMillis=20',
        ...classDataSharingFlags(join(libs, '..', `cds-${java.fingerprint}.jsa`)),
        ...jvmCommon,
        `-Dswitchyard.stack=${layout.stateDir}`,
        '-cp',
        classpath,
        'kafka.Kafka',
        serverProps,
      ],
      cwd: repoRoot,
      consoleFile: layout.consoleFile('kafka'),
      pidFile,
      marker: 'kafka.Kafka',
    });
    log(`kafka: started pid ${record.pid}, log ${layout.logFile('kafka')}`);
  }

  await waitUntil(
    deadline,
    async () => {
      const rec = await readPidFile(pidFile);
      if (rec === undefined || !isOurs(rec)) {
        const tail = await tailOf(layout.consoleFile('kafka'), 15);
        throw new StackError('process_exited', `Kafka exited during startup; see ${layout.logFile('kafka')} and ${layout.consoleFile('kafka')}\n${tail}`);
      }
      return probeKafka(brokers);
    },
    () => {
      throw new StackError('start_timeout', `Kafka did not answer metadata within ${config.startTimeoutMs} ms; see ${layout.logFile('kafka')}`);
    },
  );
  await warmUpCoordinators(brokers, deadline);
  return { brokers, startedByUs: !ours };
}


/** Reads the cluster id Kafka wrote at format time, for status output. */
export async function kafkaClusterId(layout: Layout): Promise<string | undefined> {
  const text = await readFile(join(layout.dataDir('kafka'), 'meta.properties'), 'utf8').catch(() => '');
  return /cluster\.id=(.+)/.exec(text)?.[1];
}
