// One dollar budget for a whole run in one process (file mode's `route --budget-usd` and
// `plan`): the same rules as the router's Postgres gate (routing-core's UsdLedger; the worst
// case of the first ranked priced model that still fits is reserved, the request may go there
// only), over an in-memory ledger. No executor reports a true cost in such a run: with settle
// 'never' (route) a reservation holds its worst case to the end, an upper bound of what the
// routed requests can cost; with settle 'estimate' (plan, a prediction of the real run) each
// routed request settles at its estimated cost, as its outcome would settle it at its true one.
// Either way a refusal is final: a dead letter, never a deferral that could only wait for nothing.
import { hasPrice, worstCaseCostUsd } from '@switchyard/config';
import type { ModelPrice } from '@switchyard/config';
import { UsdLedger, nanoUsdCeil, usdOfNano } from '@switchyard/routing-core';
import type { UsdReserveResult } from '@switchyard/routing-core';
import type { RoutingDecision } from './slice.ts';
import type { UsdAsk, UsdRouting } from './usd.ts';

const SCOPE = 'run';
const HOLDER = 'file-mode';

export class InMemoryUsdGate {
  readonly #ledger = new UsdLedger();
  readonly #prices: ReadonlyMap<string, ModelPrice>;
  /** request id -> the model its reservation is for, and the worst case reserved. */
  readonly #reserved = new Map<string, { readonly model: string; readonly amountNano: number }>();

  readonly #settle: 'never' | 'estimate';

  constructor(budgetUsd: number, prices: ReadonlyMap<string, ModelPrice>, settle: 'never' | 'estimate' = 'never') {
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
    for (const model of a.ranked) {
      const price = this.#prices.get(model);
      if (price === undefined || !hasPrice(price)) continue;
      const amountNano = nanoUsdCeil(worstCaseCostUsd(price, a.promptTokens, a.maxOutputTokens));
      const r = this.#ledger.reserve({ requestId: a.requestId, holder: HOLDER, scopes: [SCOPE], amountNano });
      if (r.kind === 'reserved') {
        this.#reserved.set(a.requestId, { model, amountNano });
        return { kind: 'route', model };
      }
      if (r.kind === 'already_settled') return { kind: 'skip' };
      // As the Postgres gate: a model that could fit later says more than one that never can.
      if (refusal === null || (refusal.reason === 'budget_usd_too_small' && r.reason === 'budget_usd_exhausted')) refusal = r;
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
      else if (this.#settle === 'estimate') this.#ledger.settle(d.requestId, Math.min(held.amountNano, nanoUsdCeil(Math.max(0, d.predictedCostUsd ?? 0))));
      this.#reserved.delete(d.requestId);
    }
  }

  /** What the ledger holds: worst cases of the routed requests, or their estimated costs once settled. */
  committedUsd(): number {
    return usdOfNano(this.#ledger.allScopes()[0]!.committedNano);
  }

  /** Settled (estimated) costs; 0 with settle 'never'. */
  spentUsd(): number {
    return usdOfNano(this.#ledger.allScopes()[0]!.spentNano);
  }
}
