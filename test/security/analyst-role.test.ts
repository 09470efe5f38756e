// The analysts' role reads the switchyard schema and nothing else in the database: not the
// migration bookkeeping in public, not a schema another team (or a later feature) creates. Its
// grants come from 0001's schema grant and default privileges only, so a table outside the
// schema is refused by the server. Skipped on embedded PGlite, which does not enforce roles.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stack, uniqueName, withClient } from '../support/index.ts';

const info = stack();

async function refusal(url: string, sql: string): Promise<{ code?: string; message?: string } | null> {
  return withClient(url, (c) => c.query(sql).then(() => null, (e: unknown) => e as { code?: string; message?: string }));
}

describe.skipIf(info.postgresKind === 'embedded')('analyst role outside its schema', () => {
  const schema = uniqueName('sy_other').replace(/-/g, '_').toLowerCase();

  beforeAll(async () => {
    await withClient(info.adminUrl, async (c) => {
      await c.query(`CREATE SCHEMA ${schema}`);
      await c.query(`CREATE TABLE ${schema}.secrets (id int PRIMARY KEY, value text)`);
      await c.query(`INSERT INTO ${schema}.secrets VALUES (1, 'not for analysts')`);
    });
  });

  afterAll(async () => {
    await withClient(info.adminUrl, (c) => c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
  });

  it('reads a switchyard table (the control: the role works)', async () => {
    const rows = await withClient(info.analystUrl, async (c) => (await c.query('SELECT count(*) AS n FROM switchyard.jobs')).rows);
    expect(rows).toHaveLength(1);
  });

  it('is refused the migration table in public', async () => {
    const err = await refusal(info.analystUrl, 'SELECT * FROM public.schema_migrations');
    expect(err).toMatchObject({ code: '42501' });
    expect(err?.message).toContain('schema_migrations');
  });

  it('is refused a schema it was not granted, and the table in it', async () => {
    expect(await refusal(info.analystUrl, `SELECT * FROM ${schema}.secrets`)).toMatchObject({ code: '42501', message: expect.stringContaining(`schema ${schema}`) });
    // Even where the schema itself is open to everyone, the table is not.
    await withClient(info.adminUrl, (c) => c.query(`GRANT USAGE ON SCHEMA ${schema} TO PUBLIC`));
    expect(await refusal(info.analystUrl, `SELECT * FROM ${schema}.secrets`)).toMatchObject({ code: '42501', message: expect.stringContaining('secrets') });
  });
});
