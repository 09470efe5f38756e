// The pool reports to Postgres' failure clock: connections that cannot be made or that break,
// and outage SQLSTATEs, are failures; work the server answered is a success; the caller's own
// errors are neither.
import { EventEmitter } from 'node:events';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createPool } from '../src/index.ts';

function recorder(): { health: { succeeded: () => void; failed: (e: unknown) => void }; log: string[] } {
  const log: string[] = [];
  return { log, health: { succeeded: () => log.push('ok'), failed: (e) => log.push(`failed: ${e instanceof Error ? e.message : String(e)}`) } };
}

/** A port that accepts a TCP connection and closes it at once: the server went away. */
async function closingServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function dbError(code: string): pg.DatabaseError {
  return Object.assign(new pg.DatabaseError(`sqlstate ${code}`, 0, 'error'), { code });
}

describe('createPool with a health reporter', () => {
  it('reports a failure when no connection can be made, through query() and connect() alike', async () => {
    const server = await closingServer();
    const { health, log } = recorder();
    const pool = createPool({ url: `postgres://x@127.0.0.1:${server.port}/db`, connectionTimeoutMs: 2_000 }, { health });
    await expect(pool.query('SELECT 1')).rejects.toThrow();
    await expect(pool.connect()).rejects.toThrow();
    expect(log).toHaveLength(2);
    expect(log.every((l) => l.startsWith('failed'))).toBe(true);
    await pool.end();
    await server.close();
  });

  it('counts answered work as success, outage SQLSTATEs and broken connections as failures, and ignores the caller\'s own errors', async () => {
    const { health, log } = recorder();
    const pool = createPool({ url: 'postgres://x@127.0.0.1:1/db' }, { health });
    const client = new EventEmitter();
    pool.emit('connect', client);
    expect(log).toEqual(['ok']);
    client.emit('error', new Error('Connection terminated unexpectedly'));
    expect(log.at(-1)).toBe('failed: Connection terminated unexpectedly');

    pool.emit('release', undefined, client);
    pool.emit('release', false, client);
    pool.emit('release', dbError('23505'), client);
    expect(log.slice(-3)).toEqual(['ok', 'ok', 'ok']);
    pool.emit('release', dbError('57P01'), client);
    pool.emit('release', dbError('08006'), client);
    pool.emit('release', dbError('53300'), client);
    expect(log.slice(-3)).toEqual(['failed: sqlstate 57P01', 'failed: sqlstate 08006', 'failed: sqlstate 53300']);
    const before = log.length;
    pool.emit('release', new TypeError('a bug in the caller'), client);
    pool.emit('release', true, client);
    expect(log).toHaveLength(before);
    await pool.end();
  });
});
