// Every store call that checks a client out of the pool for a transaction (budget leases,
// outcome recording, the feedback history): a connection that breaks while the client is out
// must fail the call (a retriable StoreError), not crash the process through an unheard 'error'
// event, and the broken client must not go back into the pool.
import { EventEmitter } from 'node:events';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { StoreError, acquireBudgetLeases, readFeedbackHistory, recordOutcomes } from '../src/index.ts';
import type { BudgetLease, OutcomeRecord } from '../src/index.ts';

class BreakingClient extends EventEmitter {
  released: unknown[] = [];

  /** Like node-postgres on a reset socket: 'error' on the client, and the pending query fails. */
  async query(text: string): Promise<never> {
    const err = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    // Emitted from the socket's own callback, where an unheard 'error' is an uncaught exception.
    if (text !== 'ROLLBACK') setImmediate(() => this.emit('error', err));
    await new Promise((resolve) => setImmediate(resolve));
    throw err;
  }

  release(err?: unknown): void {
    this.released.push(err);
  }
}

const lease: BudgetLease = { ruleId: 'model:m:minute', subject: '', windowStartMs: 0, windowMs: 60_000, limitTokens: 1_000, tokens: 10 };
const outcome: OutcomeRecord = {
  requestId: 'r1',
  jobId: 'j1',
  tenant: null,
  model: 'm',
  batchId: 'b1',
  segment: null,
  quality: 1,
  success: null,
  promptTokens: 10,
  completionTokens: 5,
  latencyMs: 100,
  error: null,
  costUsd: null,
  costSource: null,
  completedAtMs: 1,
  sourceTopic: 't',
  sourcePartition: 0,
  sourceOffset: '0',
};

const calls: [string, (pool: pg.Pool) => Promise<unknown>][] = [
  ['acquireBudgetLeases', (pool) => acquireBudgetLeases(pool, [lease])],
  ['recordOutcomes', (pool) => recordOutcomes(pool, [outcome])],
  ['readFeedbackHistory', (pool) => readFeedbackHistory(pool, 10)],
];

describe('store calls on a pool whose connection breaks', () => {
  it.each(calls)('%s rejects with a retriable StoreError and discards the client', async (_name, call) => {
    const pool = new pg.Pool({ max: 1 });
    const client = new BreakingClient();
    pool.connect = (() => Promise.resolve(client)) as unknown as typeof pool.connect;
    const err = await call(pool).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).retriable).toBe(true);
    // Released with the error: node-postgres then destroys the client instead of pooling it.
    expect(client.released).toHaveLength(1);
    expect(client.released[0]).toBeInstanceOf(Error);
    // Nothing listens any more once the client is back with the pool.
    expect(client.listenerCount('error')).toBe(0);
    await pool.end();
  });
});
