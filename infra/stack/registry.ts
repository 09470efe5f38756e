import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { INSTALL_LOCK_TIMEOUT_MS, repoRoot, type StackConfig } from './config.ts';
import { StackError } from './errors.ts';
import type { Layout } from './layout.ts';
import { installOnce } from './install.ts';
import { isPortOpen } from './net.ts';
import { isOurs, readPidFile, spawnDetached, tailOf, waitUntil } from './process.ts';
import { classDataSharingFlags, requireJava, runMaven, runTool } from './tools.ts';

export interface RegistryEndpoint {
  /** Confluent-compatible base URL (`.../apis/ccompat/v7`). */
  readonly url: string;
  readonly startedByUs: boolean;
}

type Log = (line: string) => void;

const CCOMPAT_PATH = '/apis/ccompat/v7';

async function installRegistry(config: StackConfig, layout: Layout, log: Log): Promise<string> {
  const home = join(layout.cacheDir, `apicurio-${config.registry.version}`);
  await installOnce(home, INSTALL_LOCK_TIMEOUT_MS, async (staging) => {
    log(`registry: resolving apicurio-registry-app:${config.registry.version} from Maven Central`);
    await downloadAndUnpack(config, layout, staging);
  });
  return runnerJar(home);
}

async function downloadAndUnpack(config: StackConfig, layout: Layout, staging: string): Promise<void> {
  const download = join(staging, 'download');
  await runMaven(
    ['-f', join(repoRoot, 'infra/registry/pom.xml'), 'dependency:copy', `-Dapicurio.version=${config.registry.version}`, `-DoutputDirectory=${download}`],
    { cwd: repoRoot, logFile: join(layout.logsDir, 'maven-registry.log'), what: `Apicurio Registry ${config.registry.version}` },
  );
  const tarball = (await readdir(download)).find((f) => f.endsWith('.tar.gz'));
  if (tarball === undefined) throw new StackError('download_failed', `Maven produced no registry tarball in ${download}`);
  const untar = await runTool('tar', ['-xzf', join(download, tarball), '-C', staging], {
    cwd: repoRoot,
    logFile: join(layout.logsDir, 'maven-registry.log'),
  });
  if (untar.code !== 0) throw new StackError('download_failed', `could not unpack ${tarball}; see ${join(layout.logsDir, 'maven-registry.log')}`);
  await rm(download, { recursive: true, force: true });
}

/** 3.0.x ships a legacy `*-runner.jar`; later releases a Quarkus fast-jar `quarkus-run.jar`. */
async function runnerJar(home: string): Promise<string> {
  if (existsSync(join(home, 'quarkus-run.jar'))) return join(home, 'quarkus-run.jar');
  const runner = (await readdir(home)).find((f) => f.endsWith('-runner.jar'));
  if (runner === undefined) throw new StackError('download_failed', `no runnable jar in ${home}; delete it and retry`);
  return join(home, runner);
}

/** Ready means both the health check and the Confluent-compatible API answer. */
export async function probeRegistry(baseUrl: string, healthUrl?: string): Promise<boolean> {
  try {
    if (healthUrl !== undefined) {
      const health = await fetch(healthUrl, { signal: AbortSignal.timeout(2_000) });
      if (!health.ok) return false;
    }
    const subjects = await fetch(`${baseUrl}/subjects`, { signal: AbortSignal.timeout(2_000) });
    return subjects.ok && Array.isArray(await subjects.json());
  } catch {
    return false;
  }
}

/** @param otherDownloadsDone resolves when no other Maven download runs (its local repository is not safe for concurrent writers). */
export async function ensureRegistry(
  config: StackConfig,
  layout: Layout,
  log: Log,
  otherDownloadsDone: Promise<void> = Promise.resolve(),
): Promise<RegistryEndpoint> {
  const deadline = Date.now() + config.startTimeoutMs;
  if (config.registry.externalUrl !== undefined) {
    const url = config.registry.externalUrl.replace(/\/$/, '');
    await waitUntil(deadline, () => probeRegistry(url), () => {
      throw new StackError('unreachable', `schema registry at ${url} (SWITCHYARD_REGISTRY_URL) did not answer GET /subjects`);
    });
    return { url, startedByUs: false };
  }

  const { host, port } = config.registry;
  const origin = `http://${host}:${port}`;
  const url = `${origin}${CCOMPAT_PATH}`;
  const health = `${origin}/health/ready`;
  const pidFile = layout.pidFile('registry');
  const existing = await readPidFile(pidFile);
  const ours = existing !== undefined && isOurs(existing);

  if (await probeRegistry(url, health)) {
    log(`registry: reusing the registry already answering on ${origin}`);
    return { url, startedByUs: false };
  }
  if (!ours && (await isPortOpen(host, port))) {
    throw new StackError('port_in_use', `port ${host}:${port} is taken by something that is not a ready schema registry; stop it or change the port`);
  }

  if (ours) {
    log(`registry: pid ${existing.pid} is starting, waiting for it`);
  } else {
    const java = await requireJava(join(layout.logsDir, 'java-version.log'));
    await otherDownloadsDone;
    const jar = await installRegistry(config, layout, log);
    const dataDir = layout.dataDir('registry');
    await mkdir(dataDir, { recursive: true });
    const heap = config.registry.heapMb;
    const record = await spawnDetached({
      command: 'java',
      args: [
        `-Xmx${heap}m`,
        '-XX:+UseSerialGC',
        // C1 only: the registry sees little traffic here and starts markedly faster without C2.
        '-XX:TieredStopAtLevel=1',
        ...classDataSharingFlags(join(dirname(jar), `cds-${java.fingerprint}.jsa`)),
        '-Djava.awt.headless=true',
        `-Dswitchyard.stack=${layout.stateDir}`,
        `-Dquarkus.http.host=${host}`,
        `-Dquarkus.http.port=${port}`,
        '-Dquarkus.log.console.enable=false',
        '-Dquarkus.log.file.enable=true',
        `-Dquarkus.log.file.path=${layout.logFile('registry')}`,
        // Schema ids must survive a restart: Kafka keeps records that carry them.
        `-Dapicurio.datasource.url=jdbc:h2:file:${join(dataDir, 'registry')}`,
        '-Dapicurio.datasource.jdbc.initial-size=2',
        '-Dapicurio.datasource.jdbc.min-size=2',
        '-Dapicurio.datasource.jdbc.max-size=16',
        // Same schema text modulo whitespace/field order resolves to the same id, as in Confluent.
        '-Dapicurio.ccompat.use-canonical-hash=true',
        // Tests clean up the subjects they register.
        '-Dapicurio.rest.deletion.artifact.enabled=true',
        '-Dapicurio.rest.deletion.artifact-version.enabled=true',
        '-Dapicurio.rest.deletion.group.enabled=true',
        '-jar',
        jar,
      ],
      cwd: dataDir,
      consoleFile: layout.consoleFile('registry'),
      pidFile,
      marker: 'apicurio',
    });
    log(`registry: started pid ${record.pid}, log ${layout.logFile('registry')}`);
  }

  await waitUntil(
    deadline,
    async () => {
      const rec = await readPidFile(pidFile);
      if (rec === undefined || !isOurs(rec)) {
        const tail = await tailOf(layout.consoleFile('registry'), 15);
        throw new StackError('process_exited', `the registry exited during startup; see ${layout.logFile('registry')}\n${tail}`);
      }
      return probeRegistry(url, health);
    },
    () => {
      throw new StackError('start_timeout', `the registry did not become ready within ${config.startTimeoutMs} ms; see ${layout.logFile('registry')}`);
    },
  );
  return { url, startedByUs: !ours };
}
