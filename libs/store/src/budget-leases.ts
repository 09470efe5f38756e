// The shared token-budget ledger: router instances lease tokens from fixed windows before they
// decide and hand back what they did not use, so any number of instances together never
// exceed a window's limit. Rows are locked in key order, so two instances leasing overlapping
// windows queue on each other instead of deadlocking.
//
// Owned leases (ownedLease* below): an instance that crashes between taking a lease and
// settling it would otherwise leave those tokens counted for good. With an owner, each lease
// taken is also recorded in switchyard.budget_leases; settling deletes that record (the used
// part stays in used_tokens, the surplus goes back), and an owner whose heartbeat expired has
// its unsettled records reclaimed by any instance: their tokens go back to the windows. The
// router settles a slice's leases before its Kafka transaction commits, so an unsettled lease
// belongs to decisions that never committed: giving all of it back never un-counts a committed
// decision. An owner that was only slow (not dead) finds its records gone when it settles and
// gets StoreError('lease_lost'): its slice aborts and is decided again, so the tokens handed
// to someone else are never spent twice. Lock order everywhere: budget_usage rows in key
// order, then budget_leases rows.
import pg from 'pg';
import { asStoreError } from './decisions.ts';
import { StoreError } from './errors.ts';
import { inTransaction, withPooledClient } from './pool.ts';
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

export function keyOf(l: Pick<BudgetLease, 'ruleId' | 'subject' | 'windowStartMs'>): string {
  return `${l.ruleId}\u0000${l.subject}\u0000${l.windowStartMs}`;
}

export function leaseTransaction<T>(db: LeaseDb, fn: (c: Queryable) => Promise<T>): Promise<T> {
  return db instanceof pg.Pool ? withPooledClient(db, (c) => inTransaction(c, fn)) : inTransaction(db, fn);
}

/**
 * Grants each lease min(tokens, limit - used) and records it; returns the grants in input
 * order. A limit lowered in config below what a window already used grants 0.
 */
export async function acquireBudgetLeases(db: LeaseDb, leases: readonly BudgetLease[], opts: { readonly owner?: string } = {}): Promise<number[]> {
  if (leases.length === 0) return [];
  const order = leases.map((l, i) => ({ l, i })).sort((a, b) => (keyOf(a.l) < keyOf(b.l) ? -1 : keyOf(a.l) > keyOf(b.l) ? 1 : 0));
  try {
    return await leaseTransaction(db, async (c) => {
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
      if (opts.owner !== undefined) {
        // Every item gets a record, 0-token grants too, so settling can tell "reclaimed" apart.
        await c.query(
          `INSERT INTO switchyard.budget_leases (owner_id, rule_id, subject, window_start_ms, tokens)
           SELECT $1, * FROM unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[])
           ON CONFLICT (owner_id, rule_id, subject, window_start_ms)
             DO UPDATE SET tokens = switchyard.budget_leases.tokens + EXCLUDED.tokens, taken_at = now()`,
          [opts.owner, cols[0], cols[1], cols[2], granted],
        );
      }
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

/** Locks the budget_usage rows of `keys` in key order (the lock order of this module). */
export async function lockWindows(c: Queryable, keys: readonly { ruleId: string; subject: string; windowStartMs: number }[]): Promise<void> {
  if (keys.length === 0) return;
  await c.query(
    `SELECT 1 FROM switchyard.budget_usage b
       JOIN unnest($1::text[], $2::text[], $3::bigint[]) AS r(rule_id, subject, window_start_ms)
         USING (rule_id, subject, window_start_ms)
      ORDER BY b.rule_id, b.subject, b.window_start_ms
      FOR UPDATE OF b`,
    [keys.map((k) => k.ruleId), keys.map((k) => k.subject), keys.map((k) => k.windowStartMs)],
  );
}

/**
 * Settles an owner's leases: hands `tokens` (the surplus) of each item back to its window and
 * deletes the lease records; the rest of each lease stays counted as used. Throws
 * StoreError('lease_lost') and changes nothing when any record is gone (reclaimed).
 */
export async function settleOwnedLeases(db: LeaseDb, owner: string, leases: readonly BudgetLease[]): Promise<void> {
  if (leases.length === 0) return;
  const sorted = [...leases].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  try {
    await leaseTransaction(db, async (c) => {
      await lockWindows(c, sorted);
      const gone = await c.query<{ rule_id: string; subject: string; window_start_ms: string; tokens: string }>(
        `DELETE FROM switchyard.budget_leases l
          USING unnest($2::text[], $3::text[], $4::bigint[]) AS r(rule_id, subject, window_start_ms)
          WHERE l.owner_id = $1 AND l.rule_id = r.rule_id AND l.subject = r.subject AND l.window_start_ms = r.window_start_ms
          RETURNING l.rule_id, l.subject, l.window_start_ms, l.tokens`,
        [owner, sorted.map((l) => l.ruleId), sorted.map((l) => l.subject), sorted.map((l) => l.windowStartMs)],
      );
      const held = new Map(gone.rows.map((r) => [`${r.rule_id}\u0000${r.subject}\u0000${r.window_start_ms}`, Number(r.tokens)]));
      const distinct = new Set(sorted.map(keyOf));
      if (held.size !== distinct.size) {
        throw new StoreError('lease_lost', `${distinct.size - held.size} of ${distinct.size} budget leases of ${owner} were reclaimed before they were settled`);
      }
      const back = sorted.map((l) => Math.min(Math.max(0, Math.floor(l.tokens)), held.get(keyOf(l)) ?? 0));
      await c.query(
        `UPDATE switchyard.budget_usage b
            SET used_tokens = GREATEST(0, b.used_tokens - r.tokens), updated_at = now()
           FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[]) AS r(rule_id, subject, window_start_ms, tokens)
          WHERE b.rule_id = r.rule_id AND b.subject = r.subject AND b.window_start_ms = r.window_start_ms AND r.tokens > 0`,
        [sorted.map((l) => l.ruleId), sorted.map((l) => l.subject), sorted.map((l) => l.windowStartMs), back],
      );
    });
  } catch (cause) {
    if (cause instanceof StoreError) throw cause;
    throw asStoreError(cause, `settling ${leases.length} budget leases`);
  }
}

/** Unsettled lease tokens per owner (for reports and tests). */
export async function readOwnedLeases(db: Queryable, owner?: string): Promise<{ ownerId: string; ruleId: string; subject: string; windowStartMs: number; tokens: number }[]> {
  const res = await db.query<{ owner_id: string; rule_id: string; subject: string; window_start_ms: string; tokens: string }>(
    `SELECT owner_id, rule_id, subject, window_start_ms, tokens FROM switchyard.budget_leases
      WHERE $1::text IS NULL OR owner_id = $1 ORDER BY owner_id, rule_id, subject, window_start_ms`,
    [owner ?? null],
  );
  return res.rows.map((r) => ({ ownerId: r.owner_id, ruleId: r.rule_id, subject: r.subject, windowStartMs: Number(r.window_start_ms), tokens: Number(r.tokens) }));
}
