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
import { readJobUsdBudgets, releaseUsd, reserveUsdCandidates, usdScopesFor } from './usd-ledger.ts';
import type { UsdCaps, UsdLedgerDb } from './usd-ledger.ts';

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

export class UsdBudgetGate {
  readonly #db: UsdLedgerDb & Queryable;
  readonly #o: UsdGateOptions;
  readonly #jobs = new Map<string, { budgetUsd: number | null; readAtMs: number }>();

  constructor(db: UsdLedgerDb & Queryable, opts: UsdGateOptions) {
    this.#db = db;
    this.#o = opts;
  }

  /** Estimated dollars of a usage on a model (for quotes and reports); 0 when unpriced. */
  costUsd(model: string, promptTokens: number, completionTokens: number): number {
    return costUsd(this.#o.prices.get(model) ?? {}, { promptTokens, completionTokens });
  }

  async #jobBudgets(jobIds: readonly string[]): Promise<Map<string, number | null>> {
    const now = this.#o.clock();
    const stale = [...new Set(jobIds)].filter((j) => {
      const hit = this.#jobs.get(j);
      return hit === undefined || now - hit.readAtMs > this.#o.jobBudgetTtlMs;
    });
    if (stale.length > 0) {
      const read = await readJobUsdBudgets(this.#db, stale);
      for (const j of stale) this.#jobs.set(j, { budgetUsd: read.get(j)?.budgetUsd ?? null, readAtMs: now });
    }
    return new Map(jobIds.map((j) => [j, this.#jobs.get(j)!.budgetUsd]));
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
