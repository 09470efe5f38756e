import { createHash } from 'node:crypto';
import { StoreError } from './errors.ts';

// Pure part of the migration runner: naming rules, checksums and the applied-vs-files plan,
// kept free of I/O so every refusal rule is unit-tested without a database.

export interface MigrationFile {
  /** Four-digit version, the ordering key (`0002`). */
  readonly version: string;
  /** File name without extension (`0002_decisions`), recorded in schema_migrations. */
  readonly name: string;
  readonly sql: string;
  /** sha256 of the SQL with line endings normalised, so a CRLF checkout does not count as an edit. */
  readonly checksum: string;
}

export interface AppliedMigration {
  readonly version: string;
  readonly name: string;
  readonly checksum: string;
}

const FILE_NAME = /^(\d{4})_([a-z0-9][a-z0-9_]*)\.sql$/;

export function checksumOf(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n'), 'utf8').digest('hex');
}

/**
 * Builds the ordered migration list from `(fileName, contents)` pairs. Only `.sql` files are
 * considered; a `.sql` file that does not follow `NNNN_snake_name.sql`, or two files with the
 * same version, are refused rather than skipped, so a typo cannot silently drop a migration.
 */
export function parseMigrationFiles(files: ReadonlyArray<{ fileName: string; sql: string }>): MigrationFile[] {
  const byVersion = new Map<string, MigrationFile>();
  for (const { fileName, sql } of files) {
    if (!fileName.endsWith('.sql')) continue;
    const match = FILE_NAME.exec(fileName);
    if (match === null) {
      throw new StoreError(
        'migration_file_invalid',
        `migration file "${fileName}" must be named NNNN_snake_case_name.sql`,
      );
    }
    const version = match[1] as string;
    const existing = byVersion.get(version);
    if (existing !== undefined) {
      throw new StoreError(
        'migration_file_invalid',
        `migration files "${existing.name}.sql" and "${fileName}" share version ${version}`,
      );
    }
    if (sql.trim() === '') {
      throw new StoreError('migration_file_invalid', `migration file "${fileName}" is empty`);
    }
    byVersion.set(version, { version, name: fileName.slice(0, -'.sql'.length), sql, checksum: checksumOf(sql) });
  }
  return [...byVersion.values()].sort((a, b) => a.version.localeCompare(b.version));
}

/**
 * The migrations still to apply, in order. Refuses when an applied migration's file was edited
 * or renamed, or when the database holds a version no file describes (a newer checkout
 * migrated it, or a file was deleted): running on would leave the schema in an unknown state.
 */
export function planMigrations(
  files: readonly MigrationFile[],
  applied: readonly AppliedMigration[],
): MigrationFile[] {
  const fileByVersion = new Map(files.map((f) => [f.version, f]));
  for (const row of applied) {
    const file = fileByVersion.get(row.version);
    if (file === undefined) {
      throw new StoreError(
        'migration_unknown',
        `database has migration ${row.name} applied but no file ${row.name}.sql exists`,
      );
    }
    if (file.name !== row.name || file.checksum !== row.checksum) {
      throw new StoreError(
        'migration_checksum_mismatch',
        `migration ${row.name} was applied with checksum ${row.checksum.slice(0, 12)}… but ` +
          `${file.name}.sql now hashes to ${file.checksum.slice(0, 12)}…; ` +
          'applied migrations are immutable, add a new migration instead',
      );
    }
  }
  const appliedVersions = new Set(applied.map((a) => a.version));
  return files.filter((f) => !appliedVersions.has(f.version));
}
