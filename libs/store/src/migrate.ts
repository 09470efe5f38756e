import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { StoreError } from './errors.ts';
import { redactUrl } from './config.ts';
import { parseMigrationFiles, planMigrations, type AppliedMigration, type MigrationFile } from './migration-plan.ts';

/** The migrations shipped with this library (`libs/store/migrations`). */
export const defaultMigrationsDir: string = fileURLToPath(new URL('../migrations/', import.meta.url));

// Session-level advisory lock key shared by every process that migrates this database, so two
// services starting together apply each file once (the second waits, then finds nothing to do).
// Arbitrary constant: the first 8 bytes of sha256("switchyard.schema_migrations").
const MIGRATION_LOCK_KEY = '-8108725153514177008';

const CREATE_LEDGER = `
  CREATE TABLE IF NOT EXISTS public.schema_migrations (
    version      text PRIMARY KEY,
    name         text NOT NULL,
    checksum     text NOT NULL,
    applied_at   timestamptz NOT NULL DEFAULT now(),
    execution_ms integer NOT NULL
  )`;

export interface MigrateOptions {
  /** Folder of `NNNN_name.sql` files; defaults to this library's own migrations. */
  readonly migrationsDir?: string;
  /** Receives one line per applied migration. */
  readonly log?: (line: string) => void;
}

export interface MigrateResult {
  /** Names (`0002_decisions`) applied by this call, in order; empty when already up to date. */
  readonly applied: string[];
}

export async function loadMigrations(migrationsDir: string = defaultMigrationsDir): Promise<MigrationFile[]> {
  const names = (await readdir(migrationsDir)).sort();
  const files = await Promise.all(
    names.map(async (fileName) => ({ fileName, sql: await readFile(`${migrationsDir}/${fileName}`, 'utf8') })),
  );
  return parseMigrationFiles(files);
}

/**
 * Applies pending migrations, each in its own transaction together with its ledger row, under a
 * Postgres advisory lock. Run it always as the same role (the schema owner): migration 0001
 * sets default privileges for objects that role creates later.
 */
export async function migrate(target: pg.Pool | string, options: MigrateOptions = {}): Promise<MigrateResult> {
  const files = await loadMigrations(options.migrationsDir);
  const log = options.log ?? (() => undefined);
  const ownClient = typeof target === 'string';
  let client: pg.PoolClient | pg.Client;
  try {
    if (typeof target === 'string') {
      const c = new pg.Client({ connectionString: target, application_name: 'switchyard-migrate' });
      await c.connect();
      client = c;
    } else {
      client = await target.connect();
    }
  } catch (cause) {
    const where = typeof target === 'string' ? ` at ${redactUrl(target)}` : '';
    throw new StoreError('connection_failed', `cannot connect to Postgres${where} to migrate`, { cause });
  }

  const applied: string[] = [];
  let broken = false;
  try {
    await query(client, 'SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    try {
      await query(client, CREATE_LEDGER);
      const rows = await query<AppliedMigration>(
        client,
        'SELECT version, name, checksum FROM public.schema_migrations ORDER BY version',
      );
      for (const file of planMigrations(files, rows)) {
        const startedAt = performance.now();
        try {
          await client.query('BEGIN');
          await client.query(file.sql);
          await client.query(
            'INSERT INTO public.schema_migrations (version, name, checksum, execution_ms) VALUES ($1, $2, $3, $4)',
            [file.version, file.name, file.checksum, Math.round(performance.now() - startedAt)],
          );
          await client.query('COMMIT');
        } catch (cause) {
          await client.query('ROLLBACK').catch(() => {
            broken = true;
          });
          throw new StoreError('migration_failed', `migration ${file.name} failed and was rolled back: ${messageOf(cause)}`, {
            cause,
          });
        }
        applied.push(file.name);
        log(`applied ${file.name} in ${Math.round(performance.now() - startedAt)} ms`);
      }
    } finally {
      if (!broken) await query(client, 'SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    if (ownClient) await (client as pg.Client).end();
    else (client as pg.PoolClient).release(broken);
  }
  return { applied };
}

async function query<R extends pg.QueryResultRow = pg.QueryResultRow>(
  client: pg.PoolClient | pg.Client,
  sql: string,
  params: unknown[] = [],
): Promise<R[]> {
  try {
    return (await client.query<R>(sql, params)).rows;
  } catch (cause) {
    // A SQLSTATE means the server answered (permissions, a bad ledger table): not retriable.
    const code = isServerError(cause) ? 'migration_failed' : 'connection_failed';
    throw new StoreError(code, `migration bookkeeping query failed: ${messageOf(cause)}`, { cause });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isServerError(error: unknown): boolean {
  return error instanceof pg.DatabaseError;
}
