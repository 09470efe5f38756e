import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { redactUrl } from '@switchyard/store';
import { repoRoot, type StackConfig } from './config.ts';
import { StackError } from './errors.ts';
import type { Layout } from './layout.ts';
import { isPortOpen } from './net.ts';
import { isOurs, readPidFile, spawnDetached, tailOf, waitUntil } from './process.ts';

export type PostgresKind = 'server' | 'embedded' | 'external';

export interface PostgresEndpoint {
  readonly kind: PostgresKind;
  /** switchyard_writer on the switchyard database. */
  readonly writerUrl: string;
  /** switchyard_analyst (read-only) on the switchyard database. */
  readonly analystUrl: string;
  /** The admin role on the switchyard database: run migrations with it. */
  readonly adminUrl: string;
  readonly startedByUs: boolean;
}

type Log = (line: string) => void;

export const WRITER_ROLE = 'switchyard_writer';
export const ANALYST_ROLE = 'switchyard_analyst';

export async function probePostgres(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function withCredentials(url: string, user: string, password: string | undefined, database: string): string {
  const u = new URL(url);
  u.username = encodeURIComponent(user);
  u.password = password === undefined ? '' : encodeURIComponent(password);
  u.pathname = `/${database}`;
  return u.toString();
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * Creates the two login roles and the database if missing, and (re)sets passwords and
 * per-database role settings; every statement is idempotent so a rerun is a no-op.
 */
async function provision(adminUrl: string, config: StackConfig, scope: 'server' | 'embedded'): Promise<void> {
  const { database, writerPassword, analystPassword } = config.postgres;
  const client = new pg.Client({ connectionString: adminUrl, application_name: 'switchyard-stack' });
  try {
    await client.connect();
    for (const [role, password] of [
      [WRITER_ROLE, writerPassword],
      [ANALYST_ROLE, analystPassword],
    ] as const) {
      const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
      if (exists.rowCount === 0) {
        await ignoreDuplicate(client.query(`CREATE ROLE ${role} LOGIN PASSWORD ${quoteLiteral(password)}`));
      } else {
        await client.query(`ALTER ROLE ${role} LOGIN PASSWORD ${quoteLiteral(password)}`);
      }
    }
    // PGlite serves a single database in a single session: roles exist (0001 grants to them)
    // but nothing below would have any effect there.
    if (scope === 'embedded') return;
    const db = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (db.rowCount === 0) await ignoreDuplicate(client.query(`CREATE DATABASE ${database}`));
    await client.query(`REVOKE CONNECT, TEMPORARY ON DATABASE ${database} FROM PUBLIC`);
    await client.query(`GRANT CONNECT ON DATABASE ${database} TO ${WRITER_ROLE}, ${ANALYST_ROLE}`);
    await client.query(`ALTER ROLE ${WRITER_ROLE} IN DATABASE ${database} SET search_path = switchyard, public`);
    await client.query(`ALTER ROLE ${ANALYST_ROLE} IN DATABASE ${database} SET search_path = switchyard, public`);
    // Belt and braces next to the grants: an analyst session cannot write even through a
    // function or a table someone forgot to lock down.
    await client.query(`ALTER ROLE ${ANALYST_ROLE} IN DATABASE ${database} SET default_transaction_read_only = on`);
  } catch (cause) {
    if (cause instanceof StackError) throw cause;
    throw new StackError('bootstrap_failed', `provisioning database ${database} at ${redactUrl(adminUrl)} failed: ${String(cause)}`, { cause });
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Two provisioners racing: the loser's CREATE fails with duplicate_object/duplicate_database. */
async function ignoreDuplicate(q: Promise<unknown>): Promise<void> {
  try {
    await q;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== '42710' && code !== '42P04' && code !== '23505') throw error;
  }
}

async function startEmbedded(config: StackConfig, layout: Layout, log: Log, deadline: number): Promise<boolean> {
  const host = '127.0.0.1';
  const port = config.postgres.embeddedPort;
  const url = `postgres://postgres@${host}:${port}/postgres`;
  const pidFile = layout.pidFile('postgres');
  const existing = await readPidFile(pidFile);
  const ours = existing !== undefined && isOurs(existing);
  if (await probePostgres(url)) {
    log(`postgres: reusing the embedded server on ${host}:${port}`);
    return false;
  }
  if (!ours && (await isPortOpen(host, port))) {
    throw new StackError('port_in_use', `port ${host}:${port} is taken by something that does not answer as Postgres`);
  }
  if (!ours) {
    await mkdir(layout.dataDir('postgres'), { recursive: true });
    const record = await spawnDetached({
      command: process.execPath,
      args: ['--import', 'tsx', join(repoRoot, 'infra/stack/pglite-server.ts'), '--data', layout.dataDir('postgres'), '--host', host, '--port', String(port)],
      cwd: repoRoot,
      consoleFile: layout.logFile('postgres'),
      pidFile,
      marker: 'pglite-server',
    });
    const why = config.postgres.embedded === 'always' ? 'SWITCHYARD_PG_EMBEDDED=always' : `no server at ${redactUrl(config.postgres.adminUrl)}`;
    log(`postgres: ${why}; started embedded PGlite pid ${record.pid} on ${host}:${port}`);
  }
  await waitUntil(
    deadline,
    async () => {
      const rec = await readPidFile(pidFile);
      if (rec === undefined || !isOurs(rec)) {
        throw new StackError('process_exited', `embedded Postgres exited during startup; see ${layout.logFile('postgres')}\n${await tailOf(layout.logFile('postgres'))}`);
      }
      return probePostgres(url);
    },
    () => {
      throw new StackError('start_timeout', `embedded Postgres did not answer within ${config.startTimeoutMs} ms; see ${layout.logFile('postgres')}`);
    },
  );
  return !ours;
}

/** The read-only analyst's URL for each way Postgres is provided (the same URL ensurePostgres reports). */
export function analystUrlOf(config: StackConfig, kind: 'external' | 'server' | 'embedded'): string {
  const { database, analystPassword } = config.postgres;
  switch (kind) {
    case 'external': {
      const writerUrl = config.postgres.externalUrl!;
      return config.postgres.externalAnalystUrl ?? withCredentials(writerUrl, ANALYST_ROLE, analystPassword, new URL(writerUrl).pathname.slice(1));
    }
    case 'server':
      return withCredentials(config.postgres.adminUrl, ANALYST_ROLE, analystPassword, database);
    case 'embedded':
      return embeddedUrlOf(config);
  }
}

function embeddedUrlOf(config: StackConfig): string {
  return `postgres://postgres@127.0.0.1:${config.postgres.embeddedPort}/postgres`;
}

export async function ensurePostgres(config: StackConfig, layout: Layout, log: Log): Promise<PostgresEndpoint> {
  const deadline = Date.now() + config.startTimeoutMs;
  const { database, writerPassword } = config.postgres;

  if (config.postgres.externalUrl !== undefined) {
    const writerUrl = config.postgres.externalUrl;
    await waitUntil(deadline, () => probePostgres(writerUrl), () => {
      throw new StackError('unreachable', `Postgres at ${redactUrl(writerUrl)} (SWITCHYARD_PG_URL) did not answer select 1`);
    });
    const analystUrl = analystUrlOf(config, 'external');
    return { kind: 'external', writerUrl, analystUrl, adminUrl: withDatabase(config.postgres.adminUrl, database), startedByUs: false };
  }

  const serverUp = config.postgres.embedded !== 'always' && (await probePostgres(config.postgres.adminUrl));
  if (serverUp) {
    await provision(config.postgres.adminUrl, config, 'server');
    return {
      kind: 'server',
      writerUrl: withCredentials(config.postgres.adminUrl, WRITER_ROLE, writerPassword, database),
      analystUrl: analystUrlOf(config, 'server'),
      adminUrl: withDatabase(config.postgres.adminUrl, database),
      startedByUs: false,
    };
  }
  if (config.postgres.embedded === 'never') {
    throw new StackError('unreachable', `no Postgres answers at ${redactUrl(config.postgres.adminUrl)} and SWITCHYARD_PG_EMBEDDED=never`);
  }

  // PGlite is one database in one session: every URL reaches the same session as `postgres`,
  // so roles, CONNECT grants and the analyst's read-only setting are not enforced here.
  const startedByUs = await startEmbedded(config, layout, log, deadline);
  const url = embeddedUrlOf(config);
  await provision(url, config, 'embedded');
  return { kind: 'embedded', writerUrl: url, analystUrl: url, adminUrl: url, startedByUs };
}
