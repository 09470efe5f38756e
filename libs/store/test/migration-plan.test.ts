import { describe, expect, it } from 'vitest';
import { checksumOf, parseMigrationFiles, planMigrations, StoreError } from '../src/index.ts';

const files = (...names: string[]) => names.map((fileName) => ({ fileName, sql: `-- ${fileName}\nSELECT 1;\n` }));

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error instanceof StoreError ? error.code : `not a StoreError: ${String(error)}`;
  }
}

describe('parseMigrationFiles', () => {
  it('orders by version and ignores files that are not .sql', () => {
    const parsed = parseMigrationFiles(files('0002_b.sql', 'README.md', '0001_a.sql', '0010_c.sql'));
    expect(parsed.map((m) => m.name)).toEqual(['0001_a', '0002_b', '0010_c']);
    expect(parsed[0]?.version).toBe('0001');
  });

  it.each(['1_a.sql', '0001-a.sql', '0001_A.sql', '00001_a.sql', '0001_.sql'])('refuses the malformed name %s', (name) => {
    expect(codeOf(() => parseMigrationFiles(files(name)))).toBe('migration_file_invalid');
  });

  it('refuses two files with the same version', () => {
    expect(codeOf(() => parseMigrationFiles(files('0001_a.sql', '0001_b.sql')))).toBe('migration_file_invalid');
  });

  it('refuses an empty file', () => {
    expect(codeOf(() => parseMigrationFiles([{ fileName: '0001_a.sql', sql: '  \n' }]))).toBe('migration_file_invalid');
  });
});

describe('checksumOf', () => {
  it('ignores CRLF versus LF but nothing else', () => {
    expect(checksumOf('SELECT 1;\r\nSELECT 2;\r\n')).toBe(checksumOf('SELECT 1;\nSELECT 2;\n'));
    expect(checksumOf('SELECT 1;\n')).not.toBe(checksumOf('SELECT 2;\n'));
    expect(checksumOf('SELECT 1;\n')).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('planMigrations', () => {
  const all = parseMigrationFiles(files('0001_a.sql', '0002_b.sql', '0003_c.sql'));
  const applied = (n: number) => all.slice(0, n).map(({ version, name, checksum }) => ({ version, name, checksum }));

  it('returns the files not applied yet, in order', () => {
    expect(planMigrations(all, applied(1)).map((m) => m.name)).toEqual(['0002_b', '0003_c']);
    expect(planMigrations(all, applied(3))).toEqual([]);
    expect(planMigrations(all, []).length).toBe(3);
  });

  it('applies a file whose version sorts before an applied one (added on a parallel branch)', () => {
    const rows = [applied(1)[0]!, applied(3)[2]!];
    expect(planMigrations(all, rows).map((m) => m.name)).toEqual(['0002_b']);
  });

  it('refuses when an applied file was edited', () => {
    const rows = applied(2).map((r, i) => (i === 1 ? { ...r, checksum: checksumOf('something else') } : r));
    expect(codeOf(() => planMigrations(all, rows))).toBe('migration_checksum_mismatch');
  });

  it('refuses when an applied file was renamed', () => {
    const rows = applied(2).map((r, i) => (i === 1 ? { ...r, name: '0002_renamed' } : r));
    expect(codeOf(() => planMigrations(all, rows))).toBe('migration_checksum_mismatch');
  });

  it('refuses when the database has a version no file describes', () => {
    const rows = [...applied(3), { version: '0004', name: '0004_d', checksum: checksumOf('x') }];
    expect(codeOf(() => planMigrations(all, rows))).toBe('migration_unknown');
  });
});
