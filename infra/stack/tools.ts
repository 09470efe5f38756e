import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { StackError } from './errors.ts';
import { withFileLock } from './lock.ts';

export interface RunResult {
  readonly code: number;
  readonly output: string;
}

/** Runs a command to completion, appending its output to logFile; rejects only if it cannot start. */
export async function runTool(command: string, args: readonly string[], opts: { cwd: string; logFile: string; loggedArgs?: readonly string[] }): Promise<RunResult> {
  await mkdir(dirname(opts.logFile), { recursive: true });
  const log = await open(opts.logFile, 'a');
  try {
    // loggedArgs: what to write instead of arguments that hold secrets (SCRAM passwords).
    await log.write(`\n$ ${command} ${(opts.loggedArgs ?? args).join(' ')}\n`);
    return await new Promise<RunResult>((resolveRun, reject) => {
      const child = spawn(command, [...args], { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
      const chunks: Buffer[] = [];
      const collect = (chunk: Buffer): void => {
        chunks.push(chunk);
        log.write(chunk).catch(() => undefined);
      };
      child.stdout.on('data', collect);
      child.stderr.on('data', collect);
      child.once('error', reject);
      child.once('close', (code) => resolveRun({ code: code ?? -1, output: Buffer.concat(chunks).toString('utf8') }));
    });
  } finally {
    await log.close();
  }
}

export interface JavaRuntime {
  readonly major: number;
  /** Short hash of `java -version`: class-data archives are only valid for the exact JVM build. */
  readonly fingerprint: string;
}

/** The `java` on PATH; Kafka 4 brokers and Apicurio 3.0 need 17+. */
export async function requireJava(logFile: string): Promise<JavaRuntime> {
  let result: RunResult;
  try {
    result = await runTool('java', ['-version'], { cwd: process.cwd(), logFile });
  } catch (cause) {
    throw new StackError('java_missing', 'no `java` on PATH: install a JDK 17+ (e.g. apt-get install openjdk-17-jre-headless)', {
      cause,
    });
  }
  const match = /version "(\d+)(?:\.(\d+))?/.exec(result.output);
  const major = match === null ? 0 : Number(match[1] === '1' ? match[2] : match[1]);
  if (major < 17) {
    throw new StackError('java_missing', `java ${major || '(unknown)'} found; Kafka 4 and Apicurio 3 need Java 17+`);
  }
  return { major, fingerprint: createHash('sha256').update(result.output).digest('hex').slice(0, 12) };
}

/**
 * JVM flags for a dynamic AppCDS archive (JEP 350): the first run records the classes it loaded
 * into `archive` when it exits cleanly, later runs map them instead of parsing jars again, which
 * cut the broker's start roughly in half here. A missing or mismatched archive is ignored by the
 * JVM (-Xshare:auto), so this never prevents a start.
 */
export function classDataSharingFlags(archive: string): string[] {
  return existsSync(archive) ? [`-XX:SharedArchiveFile=${archive}`, '-Xshare:auto'] : [`-XX:ArchiveClassesAtExit=${archive}`];
}

/**
 * Maven processes of different checkouts (and stacks) share the local repository in ~/.m2,
 * which Maven does not lock: one resolving an artifact while another downloads it can fail to
 * copy it ("Failed to copy artifact ... from ~/.m2"). They take turns here, on this machine.
 */
const MAVEN_LOCK = join(homedir(), '.m2', 'switchyard-maven.lock');
const MAVEN_LOCK_TIMEOUT_MS = 15 * 60_000;

export async function runMaven(args: readonly string[], opts: { cwd: string; logFile: string; what: string }): Promise<void> {
  let result: RunResult;
  try {
    result = await withFileLock(MAVEN_LOCK, MAVEN_LOCK_TIMEOUT_MS, () => runTool('mvn', ['-B', '-q', '-Dstyle.color=never', ...args], opts));
  } catch (cause) {
    throw new StackError('maven_missing', 'no `mvn` on PATH: install Maven 3.6+ (apt-get install maven); it downloads the Kafka and registry jars', {
      cause,
    });
  }
  if (result.code !== 0) {
    const errors = result.output
      .split('\n')
      .filter((l) => l.includes('[ERROR]'))
      .slice(0, 3)
      .join('\n');
    throw new StackError('download_failed', `Maven could not fetch ${opts.what} (exit ${result.code}); see ${opts.logFile}\n${errors}`);
  }
}
