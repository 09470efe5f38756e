// What a router slice asks of the dollar ledger: for each request the policy decided, reserve
// the worst case of the best-ranked model that fits every dollar scope the request counts in
// (its job's budget from submit, its tenant's and job's day caps from config), or say why not:
// defer while budget may come back, reject when it never can. Requests without any dollar scope
// pass unreserved. A slice that aborts releases what it reserved (only its own holder's), and a
// slice that commits keeps its reservations until the outcomes settle them.
import { costUsd, hasPrice, worstCaseCostUsd } from '@switchyard/config';
import type { ModelPrice } from '@switchyard/config';
import { refusalAction } from '@switchyard/routing-core';
import type { UsdRefusalReason } from '@switchyard/routing-core';
import type { Queryable } from './decisions.ts';
import { countDecidedRequests } from './jobs.ts';
import { jobUsdScope, readJobUsdBudgets, readUsdBudgets, releaseUsd, reserveUsdCandidates, usdScopesFor } from './usd-ledger.ts';
import type { JobUsdBudget, UsdCaps, UsdLedgerDb } from './usd-ledger.ts';

export interface UsdGateRequest {
  readonly requestId: string;
  readonly jobId: string;
  readonly tenant: string;
  readonly promptTokens: number;
  readonly maxOutputTokens: number;
  /** Models the policy ranked for the request, best first. */
  readonly ranked: readonly string[];
}

export type UsdGateVerdict =
  | { readonly kind: 'unbudgeted' }
  | { readonly kind: 'route'; readonly model: string; readonly rank: number; readonly reservedUsd: number }
  /** The request already ran (its outcome settled): route it nowhere again. */
  | { readonly kind: 'already_settled' }
  | { readonly kind: 'defer' | 'reject'; readonly reason: UsdRefusalReason | 'budget_usd_unpriced_models'; readonly scope: string | null };

export interface UsdGateOptions {
  readonly caps: UsdCaps;
  readonly prices: ReadonlyMap<string, ModelPrice>;
  /** How long a job's budget read from the jobs table is reused. */
  readonly jobBudgetTtlMs: number;
  readonly clock: () => number;
}

/** What pacing needs of a job with a dollar budget (the engine's UsdJobPace). */
export interface UsdJobPaceRow {
  readonly budgetUsd: number;
  readonly committedUsd: number;
  readonly deadlineMs: number | null;
  readonly expectedRequests: number | null;
  /** Requests of the job every instance has decided so far (routed or rejected). */
  readonly decidedRequests: number;
}

type CachedJob = Pick<JobUsdBudget, 'budgetUsd' | 'deadlineMs' | 'expectedRequests'> & { readonly readAtMs: number };

export class UsdBudgetGate {
  readonly #db: UsdLedgerDb & Queryable;
  readonly #o: UsdGateOptions;
  readonly #jobs = new Map<string, CachedJob>();

  constructor(db: UsdLedgerDb & Queryable, opts: UsdGateOptions) {
    this.#db = db;
    this.#o = opts;
  }

  /** Estimated dollars of a usage on a model (for quotes and reports); 0 when unpriced. */
  costUsd(model: string, promptTokens: number, completionTokens: number): number {
    return costUsd(this.#o.prices.get(model) ?? {}, { promptTokens, completionTokens });
  }

  async #jobRows(jobIds: readonly string[]): Promise<Map<string, CachedJob>> {
    const now = this.#o.clock();
    const stale = [...new Set(jobIds)].filter((j) => {
      const hit = this.#jobs.get(j);
      // A budgeted job still being submitted has no size yet, which pacing needs: read it again soon.
      const ttlMs = hit !== undefined && hit.budgetUsd !== null && hit.expectedRequests === null ? Math.min(1_000, this.#o.jobBudgetTtlMs) : this.#o.jobBudgetTtlMs;
      return hit === undefined || now - hit.readAtMs > ttlMs;
    });
    if (stale.length > 0) {
      const read = await readJobUsdBudgets(this.#db, stale);
      for (const j of stale) {
        const r = read.get(j);
        this.#jobs.set(j, { budgetUsd: r?.budgetUsd ?? null, deadlineMs: r?.deadlineMs ?? null, expectedRequests: r?.expectedRequests ?? null, readAtMs: now });
      }
    }
    return new Map(jobIds.map((j) => [j, this.#jobs.get(j)!]));
  }

  async #jobBudgets(jobIds: readonly string[]): Promise<Map<string, number | null>> {
    const rows = await this.#jobRows(jobIds);
    return new Map([...rows].map(([j, r]) => [j, r.budgetUsd]));
  }

  /**
   * For the jobs among `jobIds` that have a dollar budget: the budget, what the shared ledger
   * holds for it now (every instance's reservations and settled costs), the deadline and the
   * job's size, which the engine paces the job's dual price against. One read per slice.
   */
  async jobPaces(jobIds: readonly string[]): Promise<Map<string, UsdJobPaceRow>> {
    const rows = [...(await this.#jobRows(jobIds))].filter(([, r]) => r.budgetUsd !== null);
    if (rows.length === 0) return new Map();
    const held = new Map((await readUsdBudgets(this.#db, rows.map(([j]) => jobUsdScope(j)))).map((b) => [b.scope, b.committedUsd]));
    const decided = await countDecidedRequests(this.#db, rows.map(([j]) => j));
    return new Map(
      rows.map(([j, r]) => [
        j,
        { budgetUsd: r.budgetUsd!, committedUsd: held.get(jobUsdScope(j)) ?? 0, deadlineMs: r.deadlineMs, expectedRequests: r.expectedRequests, decidedRequests: decided.get(j) ?? 0 },
      ]),
    );
  }

  /** Reserves for a slice decided by `holder` (one id per decision attempt). */
  async reserveSlice(holder: string, requests: readonly UsdGateRequest[]): Promise<UsdGateVerdict[]> {
    const now = this.#o.clock();
    const budgets = await this.#jobBudgets(requests.map((r) => r.jobId));
    const verdicts: UsdGateVerdict[] = new Array(requests.length);
    const asks: { i: number; windowed: Map<string, boolean> }[] = [];
    const items = [];
    for (let i = 0; i < requests.length; i++) {
      const r = requests[i]!;
      const scopes = usdScopesFor(r, this.#o.caps, budgets.get(r.jobId) ?? null, now);
      if (scopes.length === 0) {
        verdicts[i] = { kind: 'unbudgeted' };
        continue;
      }
      const candidates = r.ranked.flatMap((model) => {
        const price = this.#o.prices.get(model);
        return price !== undefined && hasPrice(price) ? [{ model, worstCaseUsd: worstCaseCostUsd(price, r.promptTokens, r.maxOutputTokens) }] : [];
      });
      if (candidates.length === 0) {
        verdicts[i] = { kind: 'reject', reason: 'budget_usd_unpriced_models', scope: null };
        continue;
      }
      asks.push({ i, windowed: new Map(scopes.map((s) => [s.scope.scope, s.windowed])) });
      items.push({ requestId: r.requestId, holder, scopes: scopes.map((s) => s.scope), candidates });
    }
    const results = await reserveUsdCandidates(this.#db, items);
    results.forEach((res, k) => {
      const { i, windowed } = asks[k]!;
      if (res.kind === 'reserved') verdicts[i] = { kind: 'route', model: res.model, rank: res.rank, reservedUsd: res.amountUsd };
      else if (res.kind === 'already_settled') verdicts[i] = res;
      else verdicts[i] = { kind: refusalAction(res, { windowed: windowed.get(res.scope) ?? false }), reason: res.reason, scope: res.scope };
    });
    return verdicts;
  }

  /** Gives back what `holder` reserved for these requests (its slice aborted, or they were deferred after all). */
  async releaseSlice(holder: string, requestIds: readonly string[]): Promise<void> {
    await releaseUsd(this.#db, requestIds.map((requestId) => ({ requestId, holder })));
  }
}
