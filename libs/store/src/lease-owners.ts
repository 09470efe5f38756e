// Lease owners: each router incarnation registers an owner row and renews it on a heartbeat;
// the unsettled leases of an owner whose heartbeat expired are reclaimed by any instance, and a
// graceful stop retires the owner. See budget-leases.ts for the leases themselves and the lock
// order (budget_usage rows in key order, then budget_leases rows).
import { asStoreError } from './decisions.ts';
import type { Queryable } from './decisions.ts';
import { keyOf, leaseTransaction, lockWindows } from './budget-leases.ts';
import type { LeaseDb } from './budget-leases.ts';

/**
 * Registers or renews a lease owner: it stays alive until `ttlMs` after now (database clock).
 * Returns true when it renewed a live owner; false when the owner was unknown (its first
 * registration, or forgotten by a reclaim) or had expired: leases it took before may be gone.
 */
export async function heartbeatLeaseOwner(db: Queryable, owner: { readonly ownerId: string; readonly instanceId: string }, ttlMs: number): Promise<boolean> {
  try {
    const res = await db.query<{ was_alive: boolean }>(
      `WITH prev AS (SELECT expires_at >= clock_timestamp() AS alive FROM switchyard.lease_owners WHERE owner_id = $1)
       INSERT INTO switchyard.lease_owners AS o (owner_id, instance_id, expires_at)
       VALUES ($1, $2, clock_timestamp() + $3 * interval '1 millisecond')
       ON CONFLICT (owner_id) DO UPDATE SET heartbeat_at = clock_timestamp(), expires_at = EXCLUDED.expires_at
       RETURNING COALESCE((SELECT alive FROM prev), false) AS was_alive`,
      [owner.ownerId, owner.instanceId, Math.max(0, Math.floor(ttlMs))],
    );
    return res.rows[0]?.was_alive ?? false;
  } catch (cause) {
    throw asStoreError(cause, `renewing lease owner ${owner.ownerId}`);
  }
}

/**
 * Gives back the unsettled leases of every owner whose heartbeat expired (database clock), and
 * forgets those owners. Any instance may call it, concurrently too: each record is deleted by
 * exactly one caller. Returns the owners and tokens reclaimed.
 */
export async function reclaimExpiredLeases(db: LeaseDb): Promise<{ owners: string[]; leases: number; tokens: number }> {
  try {
    return await leaseTransaction(db, async (c) => {
      const expired = await c.query<{ rule_id: string; subject: string; window_start_ms: string }>(
        `SELECT DISTINCT l.rule_id, l.subject, l.window_start_ms
           FROM switchyard.budget_leases l
           LEFT JOIN switchyard.lease_owners o USING (owner_id)
          WHERE o.owner_id IS NULL OR o.expires_at < clock_timestamp()`,
      );
      const keys = expired.rows.map((r) => ({ ruleId: r.rule_id, subject: r.subject, windowStartMs: Number(r.window_start_ms) }));
      keys.sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : 1));
      await lockWindows(c, keys);
      // Re-checked under the locks: an owner that renewed in between keeps its leases.
      const taken = await c.query<{ owner_id: string; rule_id: string; subject: string; window_start_ms: string; tokens: string }>(
        `DELETE FROM switchyard.budget_leases l
          WHERE (l.rule_id, l.subject, l.window_start_ms) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]))
            AND NOT EXISTS (SELECT 1 FROM switchyard.lease_owners o WHERE o.owner_id = l.owner_id AND o.expires_at >= clock_timestamp())
          RETURNING l.owner_id, l.rule_id, l.subject, l.window_start_ms, l.tokens`,
        [keys.map((k) => k.ruleId), keys.map((k) => k.subject), keys.map((k) => k.windowStartMs)],
      );
      const sums = new Map<string, { ruleId: string; subject: string; windowStartMs: number; tokens: number }>();
      for (const r of taken.rows) {
        const k = `${r.rule_id}\u0000${r.subject}\u0000${r.window_start_ms}`;
        const prev = sums.get(k) ?? { ruleId: r.rule_id, subject: r.subject, windowStartMs: Number(r.window_start_ms), tokens: 0 };
        prev.tokens += Number(r.tokens);
        sums.set(k, prev);
      }
      const back = [...sums.values()].filter((s) => s.tokens > 0);
      if (back.length > 0) {
        await c.query(
          `UPDATE switchyard.budget_usage b
              SET used_tokens = GREATEST(0, b.used_tokens - r.tokens), updated_at = now()
             FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[]) AS r(rule_id, subject, window_start_ms, tokens)
            WHERE b.rule_id = r.rule_id AND b.subject = r.subject AND b.window_start_ms = r.window_start_ms`,
          [back.map((s) => s.ruleId), back.map((s) => s.subject), back.map((s) => s.windowStartMs), back.map((s) => s.tokens)],
        );
      }
      const owners = await c.query<{ owner_id: string }>(
        `DELETE FROM switchyard.lease_owners o
          WHERE o.expires_at < clock_timestamp()
            AND NOT EXISTS (SELECT 1 FROM switchyard.budget_leases l WHERE l.owner_id = o.owner_id)
          RETURNING o.owner_id`,
      );
      const fromLeases = new Set(taken.rows.map((r) => r.owner_id));
      for (const o of owners.rows) fromLeases.add(o.owner_id);
      return { owners: [...fromLeases].sort(), leases: taken.rows.length, tokens: back.reduce((a, s) => a + s.tokens, 0) };
    });
  } catch (cause) {
    throw asStoreError(cause, 'reclaiming expired budget leases');
  }
}

/**
 * Graceful end of an owner: returns whatever it still holds (normally nothing: every slice
 * settles its leases) and deletes the owner.
 */
export async function retireLeaseOwner(db: LeaseDb, owner: string): Promise<void> {
  try {
    await leaseTransaction(db, async (c) => {
      const held = await c.query<{ rule_id: string; subject: string; window_start_ms: string }>(
        `SELECT rule_id, subject, window_start_ms FROM switchyard.budget_leases WHERE owner_id = $1 ORDER BY rule_id, subject, window_start_ms`,
        [owner],
      );
      await lockWindows(c, held.rows.map((r) => ({ ruleId: r.rule_id, subject: r.subject, windowStartMs: Number(r.window_start_ms) })));
      await c.query(
        `WITH gone AS (DELETE FROM switchyard.budget_leases WHERE owner_id = $1 RETURNING rule_id, subject, window_start_ms, tokens)
         UPDATE switchyard.budget_usage b
            SET used_tokens = GREATEST(0, b.used_tokens - gone.tokens), updated_at = now()
           FROM gone
          WHERE b.rule_id = gone.rule_id AND b.subject = gone.subject AND b.window_start_ms = gone.window_start_ms`,
        [owner],
      );
      await c.query('DELETE FROM switchyard.lease_owners WHERE owner_id = $1', [owner]);
    });
  } catch (cause) {
    throw asStoreError(cause, `retiring lease owner ${owner}`);
  }
}
