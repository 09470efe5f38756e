import pg from 'pg';
import type { DependencyReporter } from '@switchyard/ops';
import { parsePostgresConfig, type PostgresConfig, type PostgresConfigInput } from './config.ts';

export type Pool = pg.Pool;

export interface CreatePoolOptions {
  /**
   * Called when an idle pooled client fails (server restart, network drop). node-postgres
   * emits these on the pool and the process crashes if nobody listens; the pool already
   * discards the broken client, so the caller only decides whether to log or alert.
   */
  readonly onIdleClientError?: (error: Error) => void;
  /** Postgres' failure clock: told of connections that fail and of work the server answered (see reportHealth). */
  readonly health?: DependencyReporter;
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
    // Always given, so node-postgres never falls back to PGSSLMODE from the environment behind
    // the configuration's back (a URL's own sslmode still applies; the config loader refuses one
    // next to postgres.ssl).
    ssl: parsed.ssl === false ? false : tlsOptions(parsed.ssl),
  };
}

type TlsConfig = Exclude<PostgresConfig['ssl'], false>;

function tlsOptions(tls: TlsConfig): NonNullable<Exclude<pg.PoolConfig['ssl'], boolean>> {
  const { verifyHostname, ...options } = tls;
  // verify-ca: node's TLS checks the chain against ca; skipping only the identity check is
  // what libpq's verify-ca does.
  return verifyHostname || !options.rejectUnauthorized ? { ...options } : { ...options, checkServerIdentity: () => undefined };
}

export function createPool(config: PostgresConfig | PostgresConfigInput, options: CreatePoolOptions = {}): Pool {
  const pool = new pg.Pool(toPgPoolConfig(config));
  const onIdleClientError = options.onIdleClientError ?? (() => undefined);
  pool.on('error', onIdleClientError);
  if (options.health !== undefined) reportHealth(pool, options.health);
  return pool;
}

/**
 * SQLSTATE classes that mean the server cannot serve (connection exception, insufficient
 * resources, operator intervention such as admin_shutdown or cannot_connect_now, system error);
 * any other SQLSTATE is the server answering about the statement.
 */
function isOutageSqlState(code: string | undefined): boolean {
  return code !== undefined && (code.startsWith('08') || code.startsWith('53') || code.startsWith('57P') || code.startsWith('58'));
}

type ConnectCallback = (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void;

/**
 * Reports to Postgres' failure clock from the pool itself, so every caller (decisions, leases,
 * the dollar gate, feedback, outcomes) counts without reporting on its own:
 * - failed: a connection could not be made (refused, timed out), or a connection broke
 *   (node-postgres emits 'error' on a client only for its connection, never for a statement),
 *   or the server answered with an outage SQLSTATE;
 * - succeeded: a connection was made, or a client came back from work that went through or that
 *   the server refused with any other SQLSTATE (the server answered).
 * Errors of the caller's own code are neither.
 */
function reportHealth(pool: pg.Pool, health: DependencyReporter): void {
  pool.on('connect', (client) => {
    health.succeeded();
    client.on('error', (err) => health.failed(err));
  });
  pool.on('release', (err: unknown) => {
    if (err === undefined || err === null || err === false) health.succeeded();
    else if (err instanceof pg.DatabaseError) {
      if (isOutageSqlState(err.code)) health.failed(err);
      else health.succeeded();
    }
  });
  const connect = pool.connect.bind(pool) as (cb?: ConnectCallback) => Promise<pg.PoolClient> | undefined;
  const reportingConnect = (cb?: ConnectCallback): Promise<pg.PoolClient> | undefined => {
    if (cb === undefined) {
      return connect()!.catch((err: unknown) => {
        health.failed(err);
        throw err;
      });
    }
    return connect((err, client, done) => {
      if (err !== undefined && err !== null) health.failed(err);
      cb(err, client, done);
    });
  };
  // pg-pool's own query() checks clients out through this.connect, so it is covered too.
  pool.connect = reportingConnect as typeof pool.connect;
}

/** What hands out clients: a pg.Pool. */
export interface ClientSource {
  connect(): Promise<pg.PoolClient>;
}

/**
 * Runs `fn` on a client checked out of `pool` and gives it back. A checked-out client has no
 * pool listener: a connection reset while it is out is emitted as 'error' on the client and,
 * unheard, crashes the process (the pending query rejects too, which is what `fn` sees). So this
 * listens while the client is out, and a client that broke or whose work failed is discarded
 * rather than pooled (its session state is unknown).
 */
export async function withPooledClient<T>(pool: ClientSource, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (err: Error): void => {
    broken = err;
  };
  client.on('error', onError);
  let failure: unknown = undefined;
  try {
    return await fn(client);
  } catch (err) {
    // Any truthy value makes the pool discard the client; the error itself tells a pool that
    // reports health whether the server answered (see reportHealth).
    failure = err ?? true;
    throw err;
  } finally {
    client.off('error', onError);
    client.release(broken ?? (failure as Error | boolean | undefined) ?? false);
  }
}

/**
 * BEGIN, then `fn`, then COMMIT; ROLLBACK when `fn` or the commit fails. `snapshot`: a read-only
 * REPEATABLE READ transaction, so every query in `fn` sees the same snapshot.
 */
export async function inTransaction<T>(client: pg.PoolClient, fn: (client: pg.PoolClient) => Promise<T>, mode: 'read-write' | 'snapshot' = 'read-write'): Promise<T> {
  if (mode === 'snapshot') await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  else await client.query('BEGIN');
  try {
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
