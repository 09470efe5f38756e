// A second, secured Kafka for tests of TLS, SASL and ACLs, beside (never instead of) the plain
// stack broker: the same KRaft jars, on ports and in a folder of its own, started and stopped by
// its caller. Clients reach it on one SASL_SSL listener (TLS with a CA made by openssl here,
// SASL/SCRAM-SHA-512 with credentials written into the metadata log at format time), and
// StandardAuthorizer refuses whatever no ACL allows. The controller listener takes only mutual
// TLS: the broker presents its own certificate, and that certificate's subject is a super user,
// so no listener of this broker admits an unauthenticated client.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { KafkaConfig as KafkaJsConfig } from 'kafkajs';
import { makeTestCertificates } from './certs.ts';
import { parseStackConfig, repoRoot, type StackConfigInput } from './config.ts';
import { StackError } from './errors.ts';
import { kafkaLibs, log4j2Properties, propertiesText, singleNodeTuning, warmUpCoordinators } from './kafka.ts';
import { layoutOf } from './layout.ts';
import { freePort } from './net.ts';
import { isOurs, readPidFile, spawnDetached, stopProcess, tailOf, waitUntil } from './process.ts';
import { requireJava, runTool } from './tools.ts';

export interface ScramUser {
  readonly name: string;
  readonly password: string;
}

export interface SecuredKafkaOptions {
  /** Stack configuration: Kafka version, jar cache, start and stop timeouts. */
  readonly config?: StackConfigInput;
  /** A folder of its own (certificates, properties, data, logs); deleted by stop(). */
  readonly dir: string;
  readonly host?: string;
  /** Default: ports the OS reports free. */
  readonly port?: number;
  readonly controllerPort?: number;
  /** Super user (ACLs do not apply to it): the one that grants the ACLs of the others. */
  readonly superUser: ScramUser;
  /** Further SCRAM-SHA-512 users; they may do only what ACLs allow. */
  readonly users: readonly ScramUser[];
  readonly heapMb?: number;
  readonly log?: (line: string) => void;
}

export interface SecuredKafka {
  readonly brokers: string[];
  /** PEM CA certificate that signed the broker certificate (what clients trust). */
  readonly caFile: string;
  readonly caPem: string;
  readonly logFile: string;
  /** kafkajs TLS and SASL settings for one of its users. */
  clientSecurity(user: ScramUser): Pick<KafkaJsConfig, 'ssl' | 'sasl'>;
  /** Stops the broker and deletes its folder. Idempotent. */
  stop(): Promise<void>;
}

export interface SecuredPropertiesInput {
  readonly host: string;
  readonly port: number;
  readonly controllerPort: number;
  readonly dataDir: string;
  readonly keystoreFile: string;
  readonly caFile: string;
  readonly brokerDn: string;
  readonly superUser: ScramUser;
}

/** server.properties of the secured broker (pure; unit-tested). Holds the super user's password: write it mode 0600. */
export function securedKafkaProperties(p: SecuredPropertiesInput): string {
  return propertiesText({
    ...singleNodeTuning(1, p.host, p.controllerPort, p.dataDir),
    listeners: `SASL_SSL://${p.host}:${p.port},CONTROLLER://${p.host}:${p.controllerPort}`,
    'advertised.listeners': `SASL_SSL://${p.host}:${p.port}`,
    'listener.security.protocol.map': 'SASL_SSL:SASL_SSL,CONTROLLER:SSL',
    'inter.broker.listener.name': 'SASL_SSL',
    'sasl.enabled.mechanisms': 'SCRAM-SHA-512',
    'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512',
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config': `org.apache.kafka.common.security.scram.ScramLoginModule required username="${p.superUser.name}" password="${p.superUser.password}";`,
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.location': p.keystoreFile,
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': p.caFile,
    // Mutual TLS on the controller listener: SCRAM cannot authenticate there (its credentials
    // live in the metadata log the controller serves), and a plaintext controller port would be
    // a way around every ACL.
    'listener.name.controller.ssl.client.auth': 'required',
    'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'super.users': `User:${p.superUser.name};User:${p.brokerDn}`,
    'allow.everyone.if.no.acl.found': false,
  });
}

const SAFE = /^[A-Za-z0-9._-]+$/;

/** `--add-scram` arguments; names and passwords are restricted to characters its bracket syntax never needs quoted. */
function scramArgs(users: readonly ScramUser[]): { args: string[]; logged: string[] } {
  const args: string[] = [];
  const logged: string[] = [];
  for (const u of users) {
    if (!SAFE.test(u.name) || !SAFE.test(u.password)) {
      throw new StackError('config_invalid', `SCRAM user "${u.name}": names and passwords of the test broker must match ${SAFE.source}`);
    }
    args.push('--add-scram', `SCRAM-SHA-512=[name=${u.name},password=${u.password}]`);
    logged.push('--add-scram', `SCRAM-SHA-512=[name=${u.name},password=***]`);
  }
  return { args, logged };
}

function clientSecurity(caPem: string, user: ScramUser): Pick<KafkaJsConfig, 'ssl' | 'sasl'> {
  return { ssl: { ca: [caPem] }, sasl: { mechanism: 'scram-sha-512', username: user.name, password: user.password } };
}

async function probe(brokers: string[], security: Pick<KafkaJsConfig, 'ssl' | 'sasl'>): Promise<boolean> {
  const admin = new Kafka({ clientId: 'switchyard-stack-secured', brokers, ...security, logLevel: logLevel.NOTHING, connectionTimeout: 2_000, requestTimeout: 5_000, retry: { retries: 0 } }).admin();
  try {
    await admin.connect();
    return (await admin.describeCluster()).brokers.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export async function startSecuredKafka(opts: SecuredKafkaOptions): Promise<SecuredKafka> {
  const config = parseStackConfig(opts.config ?? {});
  const log = opts.log ?? (() => undefined);
  const host = opts.host ?? '127.0.0.1';
  const dir = opts.dir;
  const [dataDir, logsDir] = [join(dir, 'data'), join(dir, 'logs')];
  await mkdir(dataDir, { recursive: true });
  await mkdir(logsDir, { recursive: true });
  const consoleFile = join(logsDir, 'kafka.out');
  const logFile = join(logsDir, 'kafka.log');
  const pidFile = join(dir, 'kafka.pid');
  const scram = scramArgs([opts.superUser, ...opts.users]);

  const java = await requireJava(join(logsDir, 'java-version.log'));
  const libs = await kafkaLibs(config, layoutOf(config), log);
  const port = opts.port ?? (await freePort(host));
  let controllerPort = opts.controllerPort ?? (await freePort(host));
  // The OS may hand out a port it just reported free again.
  while (opts.controllerPort === undefined && controllerPort === port) controllerPort = await freePort(host);
  const certs = await makeTestCertificates({ dir: join(dir, 'tls'), logFile: join(logsDir, 'openssl.log') });
  const serverProps = join(dir, 'server.properties');
  const log4j = join(dir, 'log4j2.properties');
  await writeFile(serverProps, securedKafkaProperties({ host, port, controllerPort, dataDir, keystoreFile: certs.keystoreFile, caFile: certs.caFile, brokerDn: certs.brokerDn, superUser: opts.superUser }), { mode: 0o600 });
  await writeFile(log4j, log4j2Properties(logFile));
  const classpath = `${libs}/*`;
  const jvmCommon = [`-Dlog4j2.configurationFile=${log4j}`, '-Djava.awt.headless=true'];
  const formatArgs = [...jvmCommon, '-XX:TieredStopAtLevel=1', '-cp', classpath, 'kafka.tools.StorageTool', 'format', '-t', randomBytes(16).toString('base64url'), '-c', serverProps];
  const formatted = await runTool('java', [...formatArgs, ...scram.args], { cwd: repoRoot, logFile: consoleFile, loggedArgs: [...formatArgs, ...scram.logged] });
  if (formatted.code !== 0) throw new StackError('process_exited', `formatting the secured Kafka's storage failed (exit ${formatted.code}); see ${consoleFile}`);

  // The plain broker's class-data archive is mapped when it exists, never written from here.
  const archive = join(libs, '..', `cds-${java.fingerprint}.jsa`);
  const heap = opts.heapMb ?? 384;
  const record = await spawnDetached({
    command: 'java',
    args: [`-Xmx${heap}m`, `-Xms${Math.min(256, heap)}m`, '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', ...(existsSync(archive) ? [`-XX:SharedArchiveFile=${archive}`, '-Xshare:auto'] : []), ...jvmCommon, '-cp', classpath, 'kafka.Kafka', serverProps],
    cwd: repoRoot,
    consoleFile,
    pidFile,
    marker: serverProps,
  });
  log(`secured kafka: started pid ${record.pid} on ${host}:${port} (SASL_SSL), log ${logFile}`);

  const brokers = [`${host}:${port}`];
  let stopped: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      await stopProcess(pidFile, config.stopTimeoutMs);
      await rm(dir, { recursive: true, force: true });
    })();
    return stopped;
  };
  const t0 = performance.now();
  const deadline = Date.now() + config.startTimeoutMs;
  try {
    await waitUntil(
      deadline,
      async () => {
        const rec = await readPidFile(pidFile);
        if (rec === undefined || !isOurs(rec)) {
          throw new StackError('process_exited', `the secured Kafka exited during startup; see ${logFile}\n${await tailOf(consoleFile, 15)}`);
        }
        return probe(brokers, clientSecurity(certs.caPem, opts.superUser));
      },
      () => {
        throw new StackError('start_timeout', `the secured Kafka did not answer within ${config.startTimeoutMs} ms; see ${logFile}`);
      },
    );
    // As for the plain broker: the first group join and InitProducerId then find their
    // coordinators instead of retrying (and logging) until the internal topics exist.
    await warmUpCoordinators(brokers, deadline, clientSecurity(certs.caPem, opts.superUser));
    log(`secured kafka: ready after ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } catch (err) {
    // Keep the logs for the failure message's reader: stop the process, leave the folder.
    await stopProcess(pidFile, config.stopTimeoutMs);
    throw err;
  }
  return { brokers, caFile: certs.caFile, caPem: certs.caPem, logFile, clientSecurity: (user) => clientSecurity(certs.caPem, user), stop };
}
