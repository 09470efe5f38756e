import pg from 'pg';
import { parsePostgresConfig, type PostgresConfig, type PostgresConfigInput } from './config.ts';

export type Pool = pg.Pool;

export interface CreatePoolOptions {
  /**
   * Called when an idle pooled client fails (server restart, network drop). node-postgres
   * emits these on the pool and the process crashes if nobody listens; the pool already
   * discards the broken client, so the caller only decides whether to log or alert.
   */
  readonly onIdleClientError?: (error: Error) => void;
}

// node-postgres lets what it parses from connectionString replace the other options, a missing
// URL password included (as ''), so a separate password goes into the URL itself.
function withPassword(url: string, password: string): string {
  const u = new URL(url);
  u.password = encodeURIComponent(password);
  return u.toString();
}

/** Pure mapping onto node-postgres' pool options (unit-tested; TLS and password included). */
export function toPgPoolConfig(config: PostgresConfig | PostgresConfigInput): pg.PoolConfig {
  // Parsing an already parsed config is idempotent, so both shapes go through the schema.
  const parsed = parsePostgresConfig(config);
  return {
    connectionString: parsed.password === undefined ? parsed.url : withPassword(parsed.url, parsed.password),
    application_name: parsed.applicationName,
    max: parsed.poolMax,
    connectionTimeoutMillis: parsed.connectionTimeoutMs,
    idleTimeoutMillis: parsed.idleTimeoutMs,
    ...(parsed.statementTimeoutMs > 0 ? { statement_timeout: parsed.statementTimeoutMs } : {}),
    ...(parsed.ssl !== false ? { ssl: { ...parsed.ssl } } : {}),
  };
}

export function createPool(config: PostgresConfig | PostgresConfigInput, options: CreatePoolOptions = {}): Pool {
  const pool = new pg.Pool(toPgPoolConfig(config));
  const onIdleClientError = options.onIdleClientError ?? (() => undefined);
  pool.on('error', onIdleClientError);
  return pool;
}
