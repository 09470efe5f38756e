// One dollar budget for a whole run in one process (file mode's `route --budget-usd` and
// `plan`): the same rules as the router's Postgres gate (routing-core's UsdLedger; the worst
// case of the first ranked priced model that still fits is reserved, the request may go there
// only), over an in-memory ledger. No executor reports a true cost in such a run: with settle
// 'never' (route) a reservation holds its worst case to the end, an upper bound of what the
// routed requests can cost; with settle 'estimate' (plan, a prediction of the real run) each
// routed request settles at its estimated cost, as its outcome would settle it at its true one;
// given a true cost per request (a replay of a data set with recorded outcomes, as the quality
// benchmark runs file mode) each routed request settles at that cost the moment it is decided.
// Either way a refusal is final: a dead letter, never a deferral that could only wait for nothing.
import { hasPrice, worstCaseCostUsd } from '@switchyard/config';
import type { ModelPrice } from '@switchyard/config';
import { UsdLedger, nanoUsdCeil, usdOfNano } from '@switchyard/routing-core';
import type { UsdReserveResult } from '@switchyard/routing-core';
import type { RoutingDecision } from './slice.ts';
import type { UsdAsk, UsdRouting } from './usd.ts';

const SCOPE = 'run';

/** How a routed request's reservation settles in a run with no executor (see above). */
export type UsdSettleMode = 'never' | 'estimate' | { readonly trueCostUsd: (requestId: string, model: string) => number };
const HOLDER = 'file-mode';

export class InMemoryUsdGate {
  readonly #ledger = new UsdLedger();
  readonly #prices: ReadonlyMap<string, ModelPrice>;
  /** request id -> the model its reservation is for, and the worst case reserved. */
  readonly #reserved = new Map<string, { readonly model: string; readonly amountNano: number }>();

  readonly #settle: UsdSettleMode;

  constructor(budgetUsd: number, prices: ReadonlyMap<string, ModelPrice>, settle: UsdSettleMode = 'never') {
    this.#ledger.setLimit(SCOPE, nanoUsdCeil(budgetUsd));
    this.#prices = prices;
    this.#settle = settle;
  }

  /** Reserves for a slice's asks; the verdicts go to decide as `plan.usd`. */
  verdicts(asks: readonly UsdAsk[]): Map<string, UsdRouting> {
    return new Map(asks.map((a) => [a.requestId, this.#one(a)]));
  }

  #one(a: UsdAsk): UsdRouting {
    let refusal: Extract<UsdReserveResult, { kind: 'refused' }> | null = null;
    for (const [i, model] of a.ranked.entries()) {
      const price = this.#prices.get(model);
      if (price === undefined || !hasPrice(price)) continue;
      const worstNano = nanoUsdCeil(worstCaseCostUsd(price, a.promptTokens, a.maxOutputTokens));
      // Settling at once (plan, a replay): the worst case must fit, as in the router; then the
      // request holds its estimate or true cost at once, as if its outcome had come back (the
      // router's settlements free the rest of a worst case within seconds, long before a job's
      // budget runs out).
      const atOnce = this.#settle === 'never' ? null : this.#settledFits(a, i, model, worstNano);
      if (atOnce !== null && atOnce.kind === 'refused') {
        refusal = pickRefusal(refusal, atOnce);
        continue;
      }
      const amountNano = atOnce?.amountNano ?? worstNano;
      const r = this.#ledger.reserve({ requestId: a.requestId, holder: HOLDER, scopes: [SCOPE], amountNano });
      if (r.kind === 'reserved') {
        this.#reserved.set(a.requestId, { model, amountNano });
        return { kind: 'route', model };
      }
      if (r.kind === 'already_settled') return { kind: 'skip' };
      refusal = pickRefusal(refusal, r);
    }
    if (refusal === null) return { kind: 'reject', reason: 'budget_usd_unpriced_models', detail: 'budget_usd_unpriced_models: no allowed model has a price' };
    return { kind: 'reject', reason: refusal.reason, detail: `${refusal.reason}: worst case ${usdOfNano(refusal.neededNano)} USD, ${usdOfNano(refusal.availableNano)} USD left of the run's budget` };
  }

  /** After decide: gives back the reservations of requests not routed to their reserved model. */
  keep(decisions: readonly (Pick<RoutingDecision, 'requestId' | 'outcome' | 'model'> & { readonly predictedCostUsd?: number | null })[]): void {
    for (const d of decisions) {
      const held = this.#reserved.get(d.requestId);
      if (held === undefined) continue;
      if (d.outcome !== 'routed' || d.model !== held.model) this.#ledger.release(d.requestId, HOLDER);
      // An estimate above the worst case would be an overrun no executor honouring max output tokens can cause.
      else if (this.#settle === 'estimate') this.#ledger.settle(d.requestId, Math.min(held.amountNano, nanoUsdCeil(Math.max(0, d.predictedCostUsd ?? held.amountNano / 1e9))));
      // A recorded true cost is settled as it is, above the worst case too: an overrun shows as spend.
      else if (this.#settle !== 'never') this.#ledger.settle(d.requestId, nanoUsdCeil(Math.max(0, this.#settle.trueCostUsd(d.requestId, held.model))));
      this.#reserved.delete(d.requestId);
    }
  }

  /**
   * Settling at once: whether the worst case on ranked model `i` fits, and what to hold: the
   * estimate (at most the worst case), or the given true cost as it is.
   */
  #settledFits(a: UsdAsk, i: number, model: string, worstNano: number): { kind: 'fits'; amountNano: number } | Extract<UsdReserveResult, { kind: 'refused' }> {
    const scope = this.#ledger.scope(SCOPE);
    const limitNano = scope?.limitNano ?? 0;
    const availableNano = limitNano - (scope?.committedNano ?? 0);
    if (worstNano > availableNano) return { kind: 'refused', reason: worstNano > limitNano ? 'budget_usd_too_small' : 'budget_usd_exhausted', scope: SCOPE, neededNano: worstNano, availableNano, outstandingNano: 0 };
    if (this.#settle !== 'estimate' && this.#settle !== 'never') return { kind: 'fits', amountNano: nanoUsdCeil(Math.max(0, this.#settle.trueCostUsd(a.requestId, model))) };
    const est = a.estimatedUsd?.[i];
    return { kind: 'fits', amountNano: est === undefined || !Number.isFinite(est) ? worstNano : Math.min(worstNano, nanoUsdCeil(Math.max(0, est))) };
  }

  /** What the ledger holds: worst cases of the routed requests, or their estimated costs once settled. */
  committedUsd(): number {
    return usdOfNano(this.#ledger.allScopes()[0]!.committedNano);
  }

  /** Settled (estimated or given true) costs; 0 with settle 'never'. */
  spentUsd(): number {
    return usdOfNano(this.#ledger.allScopes()[0]!.spentNano);
  }
}

/** As the Postgres gate: a model that could fit later says more than one that never can. */
function pickRefusal<R extends { readonly reason: string }>(current: R | null, next: R): R {
  return current === null || (current.reason === 'budget_usd_too_small' && next.reason === 'budget_usd_exhausted') ? next : current;
}
