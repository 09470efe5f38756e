// Migrations and roles on the stack's Postgres. Each case that changes migration state works in
// a scratch database of its own, so the shared `switchyard` database is only read.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultMigrationsDir, migrate, StoreError } from '@switchyard/store';
import { stack, uniqueName, withClient } from '../support/index.ts';

const info = stack();
const roleEnforced = info.postgresKind !== 'embedded';

function onDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

describe('migrations on the switchyard database', () => {
  it('are already applied, so applying them again is a no-op', async () => {
    expect(await migrate(info.adminUrl)).toEqual({ applied: [] });
    const rows = await withClient(info.adminUrl, async (c) => (await c.query<{ name: string }>('SELECT name FROM public.schema_migrations ORDER BY version')).rows);
    expect(rows.map((r) => r.name)).toContain('0001_schema_and_roles');
  });
});

describe.skipIf(!roleEnforced)('migrations and roles in a scratch database', () => {
  const database = uniqueName('sy_scratch').replace(/-/g, '_').toLowerCase();
  const adminUrl = onDatabase(info.adminUrl, database);
  const writerUrl = onDatabase(info.postgresUrl, database);
  const analystUrl = onDatabase(info.analystUrl, database);
  let dir: string;

  beforeAll(async () => {
    await withClient(info.adminUrl, (c) => c.query(`CREATE DATABASE ${database}`));
    dir = await mkdtemp(join(tmpdir(), 'sy-migrations-'));
    await writeFile(join(dir, '0001_schema_and_roles.sql'), await readFile(join(defaultMigrationsDir, '0001_schema_and_roles.sql'), 'utf8'));
    // A table created by a later migration: its grants come only from 0001's default privileges.
    await writeFile(join(dir, '0002_widgets.sql'), 'CREATE TABLE switchyard.widgets (id bigint PRIMARY KEY, label text NOT NULL);\n');
  });

  afterAll(async () => {
    await withClient(info.adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
    await rm(dir, { recursive: true, force: true });
  });

  it('applies each file once even when two migrators race', async () => {
    const [a, b] = await Promise.all([migrate(adminUrl, { migrationsDir: dir }), migrate(adminUrl, { migrationsDir: dir })]);
    expect([...a.applied, ...b.applied].sort()).toEqual(['0001_schema_and_roles', '0002_widgets']);
    expect(await migrate(adminUrl, { migrationsDir: dir })).toEqual({ applied: [] });
  });

  it('lets the writer write and the analyst only read, on tables from later migrations too', async () => {
    await withClient(writerUrl, (c) => c.query("INSERT INTO switchyard.widgets (id, label) VALUES (1, 'w')"));
    const rows = await withClient(analystUrl, async (c) => (await c.query('SELECT id, label FROM switchyard.widgets')).rows);
    expect(rows).toEqual([{ id: '1', label: 'w' }]);

    const denied = await withClient(analystUrl, (c) => c.query("INSERT INTO switchyard.widgets (id, label) VALUES (2, 'x')").then(() => undefined, (e: unknown) => e));
    // 42501 insufficient_privilege; 25006 would mean only the read-only default stopped it.
    expect(denied).toMatchObject({ code: '42501' });
    const deniedExplicitRw = await withClient(analystUrl, async (c) => {
      await c.query('BEGIN READ WRITE');
      return c.query("INSERT INTO switchyard.widgets (id, label) VALUES (3, 'y')").then(() => undefined, (e: unknown) => e);
    });
    expect(deniedExplicitRw).toMatchObject({ code: '42501' });
  });

  it('does not let the writer change the schema', async () => {
    const denied = await withClient(writerUrl, (c) => c.query('CREATE TABLE switchyard.nope (id int)').then(() => undefined, (e: unknown) => e));
    expect(denied).toMatchObject({ code: '42501' });
  });

  it('refuses to run when an applied migration file was edited', async () => {
    await writeFile(join(dir, '0002_widgets.sql'), 'CREATE TABLE switchyard.widgets (id bigint PRIMARY KEY, label text);\n');
    const error = await migrate(adminUrl, { migrationsDir: dir }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ code: 'migration_checksum_mismatch' });
  });

  it('rolls back a failing migration entirely and records nothing for it', async () => {
    const other = await mkdtemp(join(tmpdir(), 'sy-migrations-'));
    try {
      for (const f of ['0001_schema_and_roles.sql']) await writeFile(join(other, f), await readFile(join(dir, f), 'utf8'));
      await writeFile(join(other, '0002_widgets.sql'), 'CREATE TABLE switchyard.widgets (id bigint PRIMARY KEY, label text NOT NULL);\n');
      await writeFile(join(other, '0003_broken.sql'), 'CREATE TABLE switchyard.half (id int);\nSELECT no_such_function();\n');
      const error = await migrate(adminUrl, { migrationsDir: other }).then(() => undefined, (e: unknown) => e);
      expect(error).toMatchObject({ code: 'migration_failed' });
      const leftovers = await withClient(adminUrl, async (c) => ({
        table: (await c.query("SELECT to_regclass('switchyard.half') AS t")).rows[0]?.t,
        ledger: (await c.query("SELECT count(*)::int AS n FROM public.schema_migrations WHERE version = '0003'")).rows[0]?.n,
      }));
      expect(leftovers).toEqual({ table: null, ledger: 0 });
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!roleEnforced)('roles on the switchyard database', () => {
  it('connects as the analyst in a read-only default transaction mode', async () => {
    const setting = await withClient(info.analystUrl, async (c) => (await c.query<{ default_transaction_read_only: string }>('SHOW default_transaction_read_only')).rows[0]);
    expect(setting?.default_transaction_read_only).toBe('on');
  });

  it('connects as the writer with the switchyard schema first on the search path', async () => {
    const row = await withClient(info.postgresUrl, async (c) => (await c.query<{ u: string; s: string }>('SELECT current_user AS u, (current_schemas(false))[1] AS s')).rows[0]);
    expect(row).toEqual({ u: 'switchyard_writer', s: 'switchyard' });
  });
});
