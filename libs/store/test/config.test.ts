import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { loadConfig } from '@switchyard/config';
import { parsePostgresConfig, postgresConfigOf, redactUrl, StoreError, toPgPoolConfig } from '../src/index.ts';

describe('parsePostgresConfig', () => {
  it('fills defaults and freezes the result', () => {
    const config = parsePostgresConfig({ url: 'postgres://u@127.0.0.1:5432/db' });
    expect(config).toMatchObject({ poolMax: 10, connectionTimeoutMs: 5_000, statementTimeoutMs: 30_000, applicationName: 'switchyard' });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('names the path and rule of each violation', () => {
    try {
      parsePostgresConfig({ url: 'mysql://x', poolMax: 0 });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(StoreError);
      expect((error as StoreError).code).toBe('config_invalid');
      expect((error as StoreError).message).toMatch(/url: must be a postgres/);
      expect((error as StoreError).message).toMatch(/poolMax/);
    }
  });
});

describe('redactUrl', () => {
  it('hides the password and keeps the rest', () => {
    expect(redactUrl('postgres://w:secret@h:5432/db')).toBe('postgres://w:***@h:5432/db');
    expect(redactUrl('postgres://w@h/db')).toBe('postgres://w@h/db');
  });
});

describe('Postgres TLS and password mapping', () => {
  const shared = (over: Record<string, unknown> = {}) =>
    loadConfig({}, { models: [{ name: 'm', tokensPerMinute: 1, maxBatchTokens: 1, maxBatchRequests: 1 }], postgres: { connectionString: 'postgres://writer@db.internal:5432/switchyard', ...over } }).postgres!;

  it('leaves TLS off and the URL alone by default, and says so, so PGSSLMODE cannot turn it on unseen', () => {
    const cfg = toPgPoolConfig(postgresConfigOf(shared(), 'switchyard-router'));
    expect(cfg).toMatchObject({ connectionString: 'postgres://writer@db.internal:5432/switchyard', application_name: 'switchyard-router', max: 10 });
    expect(cfg.ssl).toBe(false);
  });

  it.each([
    ['disable', false],
    ['require', { rejectUnauthorized: false }],
    ['verify-full', { ca: 'CA', rejectUnauthorized: true }],
  ] as const)('maps sslmode %s onto node-postgres ssl', (mode, expected) => {
    const ca = mode === 'verify-full' ? { ca: 'CA' } : {};
    expect(toPgPoolConfig(postgresConfigOf(shared({ ssl: { mode, ...ca } }), 'r')).ssl).toEqual(expected);
  });

  it('maps sslmode verify-ca onto a chain check without the host-name check', () => {
    const ssl = toPgPoolConfig(postgresConfigOf(shared({ ssl: { mode: 'verify-ca', ca: 'CA' } }), 'r')).ssl as { ca: string; rejectUnauthorized: boolean; checkServerIdentity: (host: string, cert: unknown) => Error | undefined };
    expect(ssl).toMatchObject({ ca: 'CA', rejectUnauthorized: true });
    expect(ssl.checkServerIdentity('other.host', {})).toBeUndefined();
  });

  it('takes the mode and the CA file from SWITCHYARD_PG_SSL_MODE and SWITCHYARD_PG_SSL_CA_FILE', () => {
    const cfg = loadConfig(
      { SWITCHYARD_PG_SSL_MODE: 'verify-full', SWITCHYARD_PG_SSL_CA_FILE: '/run/secrets/pg-ca.pem' },
      { models: [{ name: 'm', tokensPerMinute: 1, maxBatchTokens: 1, maxBatchRequests: 1 }], postgres: { connectionString: 'postgres://w@db/s' } },
      { readFile: (path) => (path === '/run/secrets/pg-ca.pem' ? 'CA-PEM' : '') },
    );
    expect(toPgPoolConfig(postgresConfigOf(cfg.postgres!, 'r')).ssl).toEqual({ ca: 'CA-PEM', rejectUnauthorized: true });
  });

  it('refuses a mode next to enabled or rejectUnauthorized', () => {
    expect(() => shared({ ssl: { mode: 'require', rejectUnauthorized: true } })).toThrow(/postgres\.ssl\.mode/);
  });

  it('maps CA, client certificate, key and rejectUnauthorized onto node-postgres ssl', () => {
    const cfg = toPgPoolConfig(postgresConfigOf(shared({ ssl: { enabled: true, ca: 'CA', cert: 'CERT', key: 'KEY', rejectUnauthorized: false } }), 'r', 3));
    expect(cfg.ssl).toEqual({ ca: 'CA', cert: 'CERT', key: 'KEY', rejectUnauthorized: false });
    expect(cfg.max).toBe(3);
    expect(toPgPoolConfig(postgresConfigOf(shared({ ssl: { enabled: true } }), 'r')).ssl).toEqual({ rejectUnauthorized: true });
  });

  it('gives node-postgres the separate password (odd characters included) and the TLS options', () => {
    const password = 'p@ss/w%41rd:?#';
    const cfg = toPgPoolConfig(postgresConfigOf(shared({ password, ssl: { enabled: true, ca: 'CA' } }), 'r'));
    // What the client will really use, after node-postgres merged the URL into its options.
    const client = new pg.Client(cfg) as unknown as { connectionParameters: { password: string; user: string; host: string; ssl: unknown } };
    expect(client.connectionParameters).toMatchObject({ password, user: 'writer', host: 'db.internal', ssl: { ca: 'CA', rejectUnauthorized: true } });
  });
});
