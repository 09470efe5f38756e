import { describe, expect, it } from 'vitest';
import { parsePostgresConfig, redactUrl, StoreError } from '../src/index.ts';

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
