// The shared token-budget ledger: router instances lease tokens from fixed windows before they
// decide and hand back what they did not use, so any number of instances together never
// exceed a window's limit. Rows are locked in key order, so two instances leasing overlapping
// windows queue on each other instead of deadlocking.
import pg from 'pg';
import { asStoreError } from './decisions.ts';
import type { Queryable } from './decisions.ts';

export interface BudgetLease {
  readonly ruleId: string;
  readonly subject: string;
  /** Start of the window, epoch ms (aligned to the Unix epoch by the router). */
  readonly windowStartMs: number;
  readonly windowMs: number;
  /** The window's limit as currently configured. */
  readonly limitTokens: number;
  /** Tokens wanted (acquire) or handed back (release). */
  readonly tokens: number;
}

/** A pool (a client is checked out for the transaction) or a client already checked out. */
export type LeaseDb = pg.Pool | pg.PoolClient;

function keyOf(l: BudgetLease): string {
  return `${l.ruleId}\u0000${l.subject}\u0000${l.windowStartMs}`;
}

async function inTransaction<T>(db: LeaseDb, fn: (c: Queryable) => Promise<T>): Promise<T> {
  const owned = db instanceof pg.Pool;
  const client: pg.PoolClient = db instanceof pg.Pool ? await db.connect() : db;
  try {
    await client.query('BEGIN');
    try {
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  } finally {
    if (owned) client.release();
  }
}

/**
 * Grants each lease min(tokens, limit - used) and records it; returns the grants in input
 * order. A limit lowered in config below what a window already used grants 0.
 */
export async function acquireBudgetLeases(db: LeaseDb, leases: readonly BudgetLease[]): Promise<number[]> {
  if (leases.length === 0) return [];
  const order = leases.map((l, i) => ({ l, i })).sort((a, b) => (keyOf(a.l) < keyOf(b.l) ? -1 : keyOf(a.l) > keyOf(b.l) ? 1 : 0));
  try {
    return await inTransaction(db, async (c) => {
      const cols = [
        order.map(({ l }) => l.ruleId),
        order.map(({ l }) => l.subject),
        order.map(({ l }) => l.windowStartMs),
        order.map(({ l }) => l.windowMs),
        order.map(({ l }) => Math.floor(l.limitTokens)),
      ];
      await c.query(
        `INSERT INTO switchyard.budget_usage (rule_id, subject, window_start_ms, window_ms, limit_tokens)
         SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[])
         ON CONFLICT (rule_id, subject, window_start_ms) DO NOTHING`,
        cols,
      );
      const locked = await c.query<{ rule_id: string; subject: string; window_start_ms: string; used_tokens: string }>(
        `SELECT b.rule_id, b.subject, b.window_start_ms, b.used_tokens
           FROM switchyard.budget_usage b
           JOIN unnest($1::text[], $2::text[], $3::bigint[]) AS r(rule_id, subject, window_start_ms)
             USING (rule_id, subject, window_start_ms)
          ORDER BY b.rule_id, b.subject, b.window_start_ms
          FOR UPDATE OF b`,
        cols.slice(0, 3),
      );
      const used = new Map(locked.rows.map((r) => [`${r.rule_id}\u0000${r.subject}\u0000${r.window_start_ms}`, Number(r.used_tokens)]));
      const grants = new Array<number>(leases.length).fill(0);
      const granted: number[] = [];
      for (const { l, i } of order) {
        const k = keyOf(l);
        const u = used.get(k) ?? 0;
        const g = Math.max(0, Math.min(Math.floor(l.tokens), Math.floor(l.limitTokens) - u));
        used.set(k, u + g);
        grants[i] = g;
        granted.push(g);
      }
      await c.query(
        `UPDATE switchyard.budget_usage b
            SET used_tokens = b.used_tokens + r.granted, limit_tokens = r.limit_tokens, updated_at = now()
           FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[])
             AS r(rule_id, subject, window_start_ms, limit_tokens, granted)
          WHERE b.rule_id = r.rule_id AND b.subject = r.subject AND b.window_start_ms = r.window_start_ms
            AND r.granted > 0`,
        [cols[0], cols[1], cols[2], cols[4], granted],
      );
      return grants;
    });
  } catch (cause) {
    throw asStoreError(cause, `leasing ${leases.length} budget windows`);
  }
}

/** Hands unused tokens back to their windows. */
export async function releaseBudgetLeases(db: Queryable, leases: readonly BudgetLease[]): Promise<void> {
  const back = leases.filter((l) => l.tokens > 0);
  if (back.length === 0) return;
  try {
    await db.query(
      `UPDATE switchyard.budget_usage b
          SET used_tokens = GREATEST(0, b.used_tokens - r.tokens), updated_at = now()
         FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[]) AS r(rule_id, subject, window_start_ms, tokens)
        WHERE b.rule_id = r.rule_id AND b.subject = r.subject AND b.window_start_ms = r.window_start_ms`,
      [back.map((l) => l.ruleId), back.map((l) => l.subject), back.map((l) => l.windowStartMs), back.map((l) => Math.floor(l.tokens))],
    );
  } catch (cause) {
    throw asStoreError(cause, `returning ${back.length} budget leases`);
  }
}

/** Current usage of the windows that have not ended at `nowMs`, for reports and tests. */
export async function readBudgetUsage(
  db: Queryable,
  nowMs: number,
): Promise<{ ruleId: string; subject: string; windowStartMs: number; windowMs: number; limitTokens: number; usedTokens: number }[]> {
  const res = await db.query<{ rule_id: string; subject: string; window_start_ms: string; window_ms: string; limit_tokens: string; used_tokens: string }>(
    `SELECT rule_id, subject, window_start_ms, window_ms, limit_tokens, used_tokens
       FROM switchyard.budget_usage WHERE window_start_ms + window_ms > $1 ORDER BY rule_id, subject, window_start_ms`,
    [nowMs],
  );
  return res.rows.map((r) => ({
    ruleId: r.rule_id,
    subject: r.subject,
    windowStartMs: Number(r.window_start_ms),
    windowMs: Number(r.window_ms),
    limitTokens: Number(r.limit_tokens),
    usedTokens: Number(r.used_tokens),
  }));
}
