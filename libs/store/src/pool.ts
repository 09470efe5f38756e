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

export function createPool(config: PostgresConfig | PostgresConfigInput, options: CreatePoolOptions = {}): Pool {
  // Parsing an already parsed config is idempotent, so both shapes go through the schema.
  const parsed = parsePostgresConfig(config);
  const pool = new pg.Pool({
    connectionString: parsed.url,
    application_name: parsed.applicationName,
    max: parsed.poolMax,
    connectionTimeoutMillis: parsed.connectionTimeoutMs,
    idleTimeoutMillis: parsed.idleTimeoutMs,
    ...(parsed.statementTimeoutMs > 0 ? { statement_timeout: parsed.statementTimeoutMs } : {}),
  });
  const onIdleClientError = options.onIdleClientError ?? (() => undefined);
  pool.on('error', onIdleClientError);
  return pool;
}
