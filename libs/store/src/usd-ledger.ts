// The shared dollar ledger: router instances reserve each request's worst case here before it
// is routed, the outcome recorder settles it to the true cost, and a deferred or abandoned
// decision releases it. The rules are routing-core's pure UsdLedger: each call locks the scope
// rows it touches (in scope order, so concurrent callers queue instead of deadlocking), loads
// them and the entries of the requests involved into a UsdLedger, applies the operations and
// writes back what changed, in one transaction. Any number of instances together therefore see
// one serial history per scope, and committed_nano never passes limit_nano.
import pg from 'pg';
import { UsdLedger, nanoUsdCeil, nanoUsdFloor, usdOfNano } from '@switchyard/routing-core';
import type { UsdEntry, UsdReserveResult, UsdScope, UsdSettleResult } from '@switchyard/routing-core';
import { asStoreError } from './decisions.ts';
import type { Queryable } from './decisions.ts';
import { inTransaction, withPooledClient } from './pool.ts';

/** A pool (a client is checked out for the transaction) or a client already checked out. */
export type UsdLedgerDb = pg.Pool | pg.PoolClient;

export interface UsdScopeLimit {
  readonly scope: string;
  readonly limitUsd: number;
}

export interface UsdReservation {
  readonly requestId: string;
  /** The decision attempt reserving (e.g. instance + slice); only it may release. */
  readonly holder: string;
  readonly scopes: readonly UsdScopeLimit[];
  /** The worst case: prompt tokens x input price + max output tokens x output price. */
  readonly worstCaseUsd: number;
}

export interface UsdSettlement {
  readonly requestId: string;
  readonly trueCostUsd: number;
}

export interface UsdRelease {
  readonly requestId: string;
  readonly holder: string;
}

export interface UsdBudgetRow {
  readonly scope: string;
  readonly limitUsd: number;
  readonly committedUsd: number;
  readonly spentUsd: number;
}

function txOf<T>(db: UsdLedgerDb, fn: (c: Queryable) => Promise<T>): Promise<T> {
  return db instanceof pg.Pool ? withPooledClient(db, (c) => inTransaction(c, fn)) : inTransaction(db, fn);
}

interface EntryRow {
  scope: string;
  request_id: string;
  holder: string;
  state: 'reserved' | 'settled';
  amount_nano: string;
  reserved_nano: string;
}

async function entriesOf(c: Queryable, requestIds: readonly string[]): Promise<UsdEntry[]> {
  if (requestIds.length === 0) return [];
  const res = await c.query<EntryRow>(
    `SELECT scope, request_id, holder, state, amount_nano, reserved_nano
       FROM switchyard.usd_reservations WHERE request_id = ANY($1::text[])`,
    [[...new Set(requestIds)]],
  );
  return res.rows.map((r) => ({
    scope: r.scope,
    requestId: r.request_id,
    holder: r.holder,
    state: r.state,
    amountNano: Number(r.amount_nano),
    reservedNano: Number(r.reserved_nano),
  }));
}

/**
 * Creates missing scope rows, locks every scope the requests touch (theirs and the new ones) in
 * scope order, and loads them with the requests' entries into a ledger. Entries are read again
 * under the locks: every writer of an entry holds its scope's lock.
 */
async function lockedLedger(c: Queryable, requestIds: readonly string[], newScopes: readonly UsdScopeLimit[]): Promise<UsdLedger> {
  const before = await entriesOf(c, requestIds);
  const limits = new Map(newScopes.map((s) => [s.scope, nanoUsdFloor(s.limitUsd)]));
  if (limits.size > 0) {
    await c.query(
      `INSERT INTO switchyard.usd_budgets (scope, limit_nano)
       SELECT * FROM unnest($1::text[], $2::bigint[]) ON CONFLICT (scope) DO NOTHING`,
      [[...limits.keys()], [...limits.values()]],
    );
  }
  const scopes = [...new Set([...limits.keys(), ...before.map((e) => e.scope)])].sort();
  if (scopes.length === 0) return new UsdLedger();
  const locked = await c.query<{ scope: string; limit_nano: string; committed_nano: string; spent_nano: string }>(
    `SELECT scope, limit_nano, committed_nano, spent_nano FROM switchyard.usd_budgets
      WHERE scope = ANY($1::text[]) ORDER BY scope FOR UPDATE`,
    [scopes],
  );
  const rows: UsdScope[] = locked.rows.map((r) => ({
    scope: r.scope,
    limitNano: Number(r.limit_nano),
    committedNano: Number(r.committed_nano),
    spentNano: Number(r.spent_nano),
  }));
  // An entry added meanwhile in a scope not locked here (a concurrent decision of the same
  // request under another config) is left alone: this call may not move its scope's sums.
  const lockedScopes = new Set(rows.map((r) => r.scope));
  const ledger = new UsdLedger(rows, (await entriesOf(c, requestIds)).filter((e) => lockedScopes.has(e.scope)));
  for (const [scope, limit] of limits) ledger.setLimit(scope, limit);
  return ledger;
}

async function writeBack(c: Queryable, ledger: UsdLedger): Promise<void> {
  const ch = ledger.changes();
  if (ch.deletes.length > 0) {
    await c.query(
      `DELETE FROM switchyard.usd_reservations r USING unnest($1::text[], $2::text[]) AS d(scope, request_id)
        WHERE r.scope = d.scope AND r.request_id = d.request_id`,
      [ch.deletes.map((d) => d.scope), ch.deletes.map((d) => d.requestId)],
    );
  }
  if (ch.upserts.length > 0) {
    const u = ch.upserts;
    await c.query(
      `INSERT INTO switchyard.usd_reservations AS r (scope, request_id, holder, state, amount_nano, reserved_nano, settled_at)
       SELECT s, id, h, st, a, rv, CASE WHEN st = 'settled' THEN now() END
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[]) AS x(s, id, h, st, a, rv)
       ON CONFLICT (scope, request_id) DO UPDATE SET
         holder = EXCLUDED.holder, state = EXCLUDED.state, amount_nano = EXCLUDED.amount_nano,
         reserved_nano = EXCLUDED.reserved_nano,
         reserved_at = CASE WHEN EXCLUDED.state = 'reserved' THEN now() ELSE r.reserved_at END,
         settled_at = EXCLUDED.settled_at`,
      [u.map((e) => e.scope), u.map((e) => e.requestId), u.map((e) => e.holder), u.map((e) => e.state), u.map((e) => e.amountNano), u.map((e) => e.reservedNano)],
    );
  }
  if (ch.scopes.length > 0) {
    const s = ch.scopes;
    await c.query(
      `UPDATE switchyard.usd_budgets b
          SET limit_nano = x.l, committed_nano = x.c, spent_nano = x.sp, updated_at = now()
         FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[]) AS x(scope, l, c, sp)
        WHERE b.scope = x.scope`,
      [s.map((x) => x.scope), s.map((x) => x.limitNano), s.map((x) => x.committedNano), s.map((x) => x.spentNano)],
    );
  }
}

/**
 * Reserves each request's worst case in all of its scopes or none, in input order (an earlier
 * request of the call is served first). Returns the ledger's answer per request: reserved,
 * already settled (it ran: nothing held again), or refused with the scope and the reason.
 */
export async function reserveUsd(db: UsdLedgerDb, items: readonly UsdReservation[]): Promise<UsdReserveResult[]> {
  if (items.length === 0) return [];
  try {
    return await txOf(db, async (c) => {
      const ledger = await lockedLedger(c, items.map((i) => i.requestId), items.flatMap((i) => i.scopes));
      const out = items.map((i) =>
        ledger.reserve({ requestId: i.requestId, holder: i.holder, scopes: i.scopes.map((s) => s.scope), amountNano: nanoUsdCeil(i.worstCaseUsd) }),
      );
      await writeBack(c, ledger);
      return out;
    });
  } catch (cause) {
    throw asStoreError(cause, `reserving dollars for ${items.length} requests`);
  }
}

export interface UsdCandidateReservation {
  readonly requestId: string;
  readonly holder: string;
  readonly scopes: readonly UsdScopeLimit[];
  /** The models the policy ranked for the request, best first, with each one's worst case. */
  readonly candidates: readonly { readonly model: string; readonly worstCaseUsd: number }[];
}

export type UsdCandidateResult =
  | { readonly kind: 'reserved'; readonly model: string; readonly rank: number; readonly amountUsd: number }
  | { readonly kind: 'already_settled' }
  | Extract<UsdReserveResult, { kind: 'refused' }>;

/**
 * For each request, reserves the worst case of the best-ranked candidate that fits, in one
 * transaction for the whole slice (the router's fallback: a dearer model that does not fit
 * gives way to a cheaper one). A request no candidate fits gets the refusal of its last
 * candidate tried, with the most hopeful reason (exhausted before too small).
 */
export async function reserveUsdCandidates(db: UsdLedgerDb, items: readonly UsdCandidateReservation[]): Promise<UsdCandidateResult[]> {
  if (items.length === 0) return [];
  try {
    return await txOf(db, async (c) => {
      const ledger = await lockedLedger(c, items.map((i) => i.requestId), items.flatMap((i) => i.scopes));
      const out = items.map((i): UsdCandidateResult => {
        let refusal: Extract<UsdReserveResult, { kind: 'refused' }> | null = null;
        for (let rank = 0; rank < i.candidates.length; rank++) {
          const cand = i.candidates[rank]!;
          const amountNano = nanoUsdCeil(cand.worstCaseUsd);
          const r = ledger.reserve({ requestId: i.requestId, holder: i.holder, scopes: i.scopes.map((s) => s.scope), amountNano });
          if (r.kind === 'reserved') return { kind: 'reserved', model: cand.model, rank, amountUsd: usdOfNano(amountNano) };
          if (r.kind === 'already_settled') return r;
          if (refusal === null || (refusal.reason === 'budget_usd_too_small' && r.reason === 'budget_usd_exhausted')) refusal = r;
        }
        if (refusal === null) throw new RangeError(`request ${i.requestId} has no candidate model to reserve for`);
        return refusal;
      });
      await writeBack(c, ledger);
      return out;
    });
  } catch (cause) {
    if (cause instanceof RangeError) throw cause;
    throw asStoreError(cause, `reserving dollars for a slice of ${items.length} requests`);
  }
}

/**
 * Settles each request's reservations to its true cost (a later settlement of the same request
 * replaces the earlier: outcomes replayed or revised never count twice). A request with no
 * reservation is `unreserved` (it had no dollar budget). Overruns are reported, not hidden.
 */
export async function settleUsd(db: UsdLedgerDb, items: readonly UsdSettlement[]): Promise<UsdSettleResult[]> {
  if (items.length === 0) return [];
  try {
    return await txOf(db, async (c) => {
      const ledger = await lockedLedger(c, items.map((i) => i.requestId), []);
      const out = items.map((i) => ledger.settle(i.requestId, nanoUsdCeil(i.trueCostUsd)));
      await writeBack(c, ledger);
      return out;
    });
  } catch (cause) {
    throw asStoreError(cause, `settling dollars for ${items.length} requests`);
  }
}

/** Gives back what each holder reserved (deferred, rejected or abandoned decisions); returns USD given back per item. */
export async function releaseUsd(db: UsdLedgerDb, items: readonly UsdRelease[]): Promise<number[]> {
  if (items.length === 0) return [];
  try {
    return await txOf(db, async (c) => {
      const ledger = await lockedLedger(c, items.map((i) => i.requestId), []);
      const out = items.map((i) => usdOfNano(ledger.release(i.requestId, i.holder)));
      await writeBack(c, ledger);
      return out;
    });
  } catch (cause) {
    throw asStoreError(cause, `releasing dollars for ${items.length} requests`);
  }
}

/** The scopes' limits and use (all when `scopes` is omitted), for reports and tests. */
export async function readUsdBudgets(db: Queryable, scopes?: readonly string[]): Promise<UsdBudgetRow[]> {
  const res = await db.query<{ scope: string; limit_nano: string; committed_nano: string; spent_nano: string }>(
    `SELECT scope, limit_nano, committed_nano, spent_nano FROM switchyard.usd_budgets
      WHERE $1::text[] IS NULL OR scope = ANY($1::text[]) ORDER BY scope`,
    [scopes === undefined ? null : [...scopes]],
  );
  return res.rows.map((r) => ({
    scope: r.scope,
    limitUsd: usdOfNano(Number(r.limit_nano)),
    committedUsd: usdOfNano(Number(r.committed_nano)),
    spentUsd: usdOfNano(Number(r.spent_nano)),
  }));
}

/** Dollar scope of a job's own budget. */
export function jobUsdScope(jobId: string): string {
  return `job:${jobId}`;
}

/** Dollar scope of a per-UTC-day cap (tenant or job from config), for the day containing `atMs`. */
export function dailyUsdScope(kind: 'tenant' | 'job', id: string, atMs: number): string {
  return `${kind}-day:${id}:${new Date(atMs).toISOString().slice(0, 10)}`;
}

export interface JobUsdBudget {
  readonly jobId: string;
  readonly tenant: string;
  readonly budgetUsd: number | null;
  readonly deadlineMs: number | null;
  readonly submittedAtMs: number;
  /** Requests the job sent, once its submission finished; null while it is still being submitted. */
  readonly expectedRequests: number | null;
}

/** The dollar budgets and deadlines jobs were submitted with (jobs without a row are absent). */
export async function readJobUsdBudgets(db: Queryable, jobIds: readonly string[]): Promise<Map<string, JobUsdBudget>> {
  if (jobIds.length === 0) return new Map();
  try {
    const res = await db.query<{ job_id: string; tenant: string; budget_usd: number | null; deadline_ms: string | null; submitted_ms: string; status: string; lines_produced: string }>(
      `SELECT job_id, tenant, budget_usd, (extract(epoch FROM deadline_at) * 1000)::bigint AS deadline_ms,
              (extract(epoch FROM submitted_at) * 1000)::bigint AS submitted_ms, status, lines_produced
         FROM switchyard.jobs WHERE job_id = ANY($1::text[])`,
      [[...new Set(jobIds)]],
    );
    return new Map(
      res.rows.map((r) => [
        r.job_id,
        {
          jobId: r.job_id,
          tenant: r.tenant,
          budgetUsd: r.budget_usd,
          deadlineMs: r.deadline_ms === null ? null : Number(r.deadline_ms),
          submittedAtMs: Number(r.submitted_ms),
          expectedRequests: r.status === 'submitted' && Number(r.lines_produced) > 0 ? Number(r.lines_produced) : null,
        },
      ]),
    );
  } catch (cause) {
    throw asStoreError(cause, `reading the dollar budgets of ${jobIds.length} jobs`);
  }
}

export interface UsdCaps {
  /** Per-tenant caps per UTC day (config budgets.tenants.<id>.usdPerDay); '*' applies to every tenant without its own. */
  readonly tenantUsdPerDay: Readonly<Record<string, number | undefined>>;
  /** Per-job caps per UTC day (config budgets.jobs.<id>.usdPerDay); '*' applies to every job without its own. */
  readonly jobUsdPerDay: Readonly<Record<string, number | undefined>>;
}

/**
 * The dollar scopes a request counts in at `atMs`: its job's own budget (from submit), and the
 * day caps of its tenant and job from config. `windowed` is true when a refusal may lift by
 * itself (a day cap: the next day opens a new scope), which decides defer against reject.
 */
export function usdScopesFor(
  req: { readonly jobId: string; readonly tenant: string },
  caps: UsdCaps,
  jobBudgetUsd: number | null,
  atMs: number,
): { scope: UsdScopeLimit; windowed: boolean }[] {
  const out: { scope: UsdScopeLimit; windowed: boolean }[] = [];
  if (jobBudgetUsd !== null) out.push({ scope: { scope: jobUsdScope(req.jobId), limitUsd: jobBudgetUsd }, windowed: false });
  const tenantCap = caps.tenantUsdPerDay[req.tenant] ?? caps.tenantUsdPerDay['*'];
  if (tenantCap !== undefined) out.push({ scope: { scope: dailyUsdScope('tenant', req.tenant, atMs), limitUsd: tenantCap }, windowed: true });
  const jobCap = caps.jobUsdPerDay[req.jobId] ?? caps.jobUsdPerDay['*'];
  if (jobCap !== undefined) out.push({ scope: { scope: dailyUsdScope('job', req.jobId, atMs), limitUsd: jobCap }, windowed: true });
  return out;
}
