// Dollar budgets that the sum of true costs can never pass.
//
// A request reserves its worst case (prompt tokens x input price + max output tokens x output
// price) in every dollar scope it counts for (its job, its tenant's day, ...) before it is
// routed, all or nothing; when its outcome arrives the reservation is settled down to the true
// cost. A scope's `committed` (outstanding reservations + settled true costs) never passes its
// limit, because only `reserve` raises it and `reserve` checks; `spent` (settled true costs) is
// at most `committed` as long as a true cost is at most its reservation, which holds whenever the
// executor honours the request's max output tokens. That is the guarantee peers lose under
// concurrency: they check "spent so far < budget" and then run, so N requests in flight can all
// pass the check (LiteLLM issues #34732, #27735).
//
// Idempotence: entries are keyed by (scope, request id). A request decided again (a retry, a
// slice replayed after a crash, a rebalance) replaces its own reservation instead of adding a
// second one; a second outcome for a request replaces the first settlement. A release names the
// holder (the decision attempt) that reserved, so a fenced instance releasing late cannot drop
// the reservation a newer decision of the same request made.
//
// Money is integer nano-dollars (1e-9 USD): sums are exact, so the invariant is checked exactly;
// reservations round up and limits round down, so rounding never lets spend pass a limit.
//
// Pure: the store loads the locked scope rows and the entries of the requests involved into a
// ledger, applies operations, and writes back `changes()`. The in-process router and the
// property test use the same object.

export const NANO_PER_USD = 1_000_000_000;

/** USD to nano-dollars, rounded up (reservations and true costs: never under-count spend). */
export function nanoUsdCeil(usd: number): number {
  return Math.ceil(Math.max(0, usd) * NANO_PER_USD - 1e-6);
}

/** USD to nano-dollars, rounded down (limits: never over-state a budget). */
export function nanoUsdFloor(usd: number): number {
  return Math.floor(Math.max(0, usd) * NANO_PER_USD + 1e-6);
}

export function usdOfNano(nano: number): number {
  return nano / NANO_PER_USD;
}

export interface UsdScope {
  readonly scope: string;
  readonly limitNano: number;
  /** Outstanding reservations + settled true costs. */
  readonly committedNano: number;
  /** Settled true costs. */
  readonly spentNano: number;
}

export interface UsdEntry {
  readonly scope: string;
  readonly requestId: string;
  /** Who reserved: a release by anyone else is ignored. Unchanged by settlement. */
  readonly holder: string;
  readonly state: 'reserved' | 'settled';
  readonly amountNano: number;
  /** The worst case reserved (kept after settlement, to report overruns). */
  readonly reservedNano: number;
}

export type UsdRefusalReason =
  /** The scope cannot take the worst case now; outstanding reservations may come back. */
  | 'budget_usd_exhausted'
  /** The worst case alone is above the scope's limit: it can never fit. */
  | 'budget_usd_too_small';

export type UsdReserveResult =
  | { readonly kind: 'reserved'; readonly amountNano: number }
  /** The request already has a settled outcome: it ran, nothing is reserved again. */
  | { readonly kind: 'already_settled' }
  | {
      readonly kind: 'refused';
      readonly reason: UsdRefusalReason;
      readonly scope: string;
      readonly neededNano: number;
      readonly availableNano: number;
      /** Reserved but not yet settled in that scope: what settlements may still give back. */
      readonly outstandingNano: number;
    };

export interface UsdReserveInput {
  readonly requestId: string;
  readonly holder: string;
  readonly scopes: readonly string[];
  readonly amountNano: number;
}

export interface UsdSettleResult {
  readonly kind: 'settled' | 'unreserved';
  /** True cost above the reservation (an executor that did not honour max output tokens). */
  readonly overrunNano: number;
}

export interface UsdLedgerChanges {
  readonly scopes: readonly UsdScope[];
  readonly upserts: readonly UsdEntry[];
  readonly deletes: readonly { readonly scope: string; readonly requestId: string }[];
}

interface MutableScope {
  scope: string;
  limitNano: number;
  committedNano: number;
  spentNano: number;
}

const entryKey = (scope: string, requestId: string): string => `${scope}\u0000${requestId}`;

function checkNano(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${name} must be a non-negative safe integer of nano-dollars, got ${v}`);
}

export class UsdLedger {
  private readonly scopes = new Map<string, MutableScope>();
  private readonly entries = new Map<string, UsdEntry>();
  private readonly byRequest = new Map<string, Set<string>>();
  private readonly dirtyScopes = new Set<string>();
  private readonly dirtyEntries = new Set<string>();

  constructor(scopes: readonly UsdScope[] = [], entries: readonly UsdEntry[] = []) {
    for (const s of scopes) this.scopes.set(s.scope, { ...s });
    for (const e of entries) this.put(e, false);
  }

  /** Declares a scope or updates its limit (config may change); usage is kept. */
  setLimit(scope: string, limitNano: number): void {
    checkNano('limitNano', limitNano);
    const s = this.scopes.get(scope);
    if (s === undefined) this.scopes.set(scope, { scope, limitNano, committedNano: 0, spentNano: 0 });
    else if (s.limitNano === limitNano) return;
    else s.limitNano = limitNano;
    this.dirtyScopes.add(scope);
  }

  scope(scope: string): UsdScope | undefined {
    const s = this.scopes.get(scope);
    return s === undefined ? undefined : { ...s };
  }

  allScopes(): UsdScope[] {
    return [...this.scopes.values()].map((s) => ({ ...s }));
  }

  entriesOf(requestId: string): UsdEntry[] {
    return [...(this.byRequest.get(requestId) ?? [])].map((k) => this.entries.get(k)!);
  }

  /** Reserves `amountNano` in every scope, or in none. Scopes must have been declared. */
  reserve(input: UsdReserveInput): UsdReserveResult {
    checkNano('amountNano', input.amountNano);
    const own = this.entriesOf(input.requestId);
    if (own.some((e) => e.state === 'settled')) return { kind: 'already_settled' };
    const wanted = new Set(input.scopes);
    for (const scope of wanted) {
      const s = this.scopes.get(scope);
      if (s === undefined) throw new RangeError(`dollar scope ${scope} was not declared (setLimit) before reserving`);
      const prev = this.entries.get(entryKey(scope, input.requestId));
      const already = prev?.amountNano ?? 0;
      const available = s.limitNano - (s.committedNano - already);
      if (input.amountNano > available) {
        const outstanding = s.committedNano - s.spentNano - already;
        const reason: UsdRefusalReason = input.amountNano > s.limitNano ? 'budget_usd_too_small' : 'budget_usd_exhausted';
        return { kind: 'refused', reason, scope, neededNano: input.amountNano, availableNano: Math.max(0, available), outstandingNano: outstanding };
      }
    }
    // A decision again with fewer scopes (config changed) drops what the old one held elsewhere.
    for (const e of own) if (!wanted.has(e.scope)) this.drop(e);
    for (const scope of wanted) {
      const prev = this.entries.get(entryKey(scope, input.requestId));
      this.bump(scope, input.amountNano - (prev?.amountNano ?? 0), 0);
      this.put({ scope, requestId: input.requestId, holder: input.holder, state: 'reserved', amountNano: input.amountNano, reservedNano: input.amountNano }, true);
    }
    return { kind: 'reserved', amountNano: input.amountNano };
  }

  /** Settles every reservation of the request to its true cost; a later call replaces an earlier one. */
  settle(requestId: string, trueNano: number): UsdSettleResult {
    checkNano('trueNano', trueNano);
    const own = this.entriesOf(requestId);
    if (own.length === 0) return { kind: 'unreserved', overrunNano: 0 };
    let overrun = 0;
    for (const e of own) {
      const spentBefore = e.state === 'settled' ? e.amountNano : 0;
      this.bump(e.scope, trueNano - e.amountNano, trueNano - spentBefore);
      this.put({ ...e, state: 'settled', amountNano: trueNano }, true);
      overrun = Math.max(overrun, trueNano - e.reservedNano);
    }
    return { kind: 'settled', overrunNano: overrun };
  }

  /**
   * Gives back what `holder` reserved for the request (it was deferred, rejected, or its
   * decision was abandoned). Settled entries and entries of another holder stay. Returns the
   * nano-dollars given back (per scope, summed).
   */
  release(requestId: string, holder: string): number {
    let back = 0;
    for (const e of this.entriesOf(requestId)) {
      if (e.state !== 'reserved' || e.holder !== holder) continue;
      back += e.amountNano;
      this.drop(e);
    }
    return back;
  }

  /** What changed since construction (or the last `markClean`), for the store to write back. */
  changes(): UsdLedgerChanges {
    const upserts: UsdEntry[] = [];
    const deletes: { scope: string; requestId: string }[] = [];
    for (const k of this.dirtyEntries) {
      const e = this.entries.get(k);
      if (e !== undefined) upserts.push(e);
      else {
        const i = k.indexOf('\u0000');
        deletes.push({ scope: k.slice(0, i), requestId: k.slice(i + 1) });
      }
    }
    return { scopes: [...this.dirtyScopes].map((s) => ({ ...this.scopes.get(s)! })), upserts, deletes };
  }

  markClean(): void {
    this.dirtyScopes.clear();
    this.dirtyEntries.clear();
  }

  private bump(scope: string, committedDelta: number, spentDelta: number): void {
    const s = this.scopes.get(scope)!;
    s.committedNano += committedDelta;
    s.spentNano += spentDelta;
    this.dirtyScopes.add(scope);
  }

  private drop(e: UsdEntry): void {
    this.bump(e.scope, -e.amountNano, e.state === 'settled' ? -e.amountNano : 0);
    const k = entryKey(e.scope, e.requestId);
    this.entries.delete(k);
    this.byRequest.get(e.requestId)?.delete(k);
    this.dirtyEntries.add(k);
  }

  private put(e: UsdEntry, dirty: boolean): void {
    const k = entryKey(e.scope, e.requestId);
    this.entries.set(k, e);
    let set = this.byRequest.get(e.requestId);
    if (set === undefined) this.byRequest.set(e.requestId, (set = new Set()));
    set.add(k);
    if (dirty) this.dirtyEntries.add(k);
  }
}

/**
 * What the router does with a refused request: a scope that can never fit it, or a job budget
 * with nothing outstanding that could come back, rejects it (with the reason, never silently);
 * otherwise it is deferred until settlements give budget back or a new day's window opens.
 */
export function refusalAction(r: Extract<UsdReserveResult, { kind: 'refused' }>, opts: { readonly windowed: boolean }): 'defer' | 'reject' {
  if (r.reason === 'budget_usd_too_small') return 'reject';
  if (opts.windowed) return 'defer';
  return r.outstandingNano > 0 && r.outstandingNano + r.availableNano >= r.neededNano ? 'defer' : 'reject';
}
