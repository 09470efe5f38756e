// One dollar budget for a whole run in one process (file mode's `route --budget-usd`): the same
// rules as the router's Postgres gate (routing-core's UsdLedger; the worst case of the first
// ranked priced model that still fits is reserved, the request may go there only), over an
// in-memory ledger. Nothing settles during such a run (no executor reports a true cost), so a
// reservation holds its worst case to the end and a refusal is final: a dead letter, never a
// deferral that could only wait for nothing.
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
  /** request id -> the model its reservation is for. */
  readonly #reserved = new Map<string, string>();

  constructor(budgetUsd: number, prices: ReadonlyMap<string, ModelPrice>) {
    this.#ledger.setLimit(SCOPE, nanoUsdCeil(budgetUsd));
    this.#prices = prices;
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
      const r = this.#ledger.reserve({ requestId: a.requestId, holder: HOLDER, scopes: [SCOPE], amountNano: nanoUsdCeil(worstCaseCostUsd(price, a.promptTokens, a.maxOutputTokens)) });
      if (r.kind === 'reserved') {
        this.#reserved.set(a.requestId, model);
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
  keep(decisions: readonly Pick<RoutingDecision, 'requestId' | 'outcome' | 'model'>[]): void {
    for (const d of decisions) {
      const model = this.#reserved.get(d.requestId);
      if (model === undefined) continue;
      if (d.outcome !== 'routed' || d.model !== model) this.#ledger.release(d.requestId, HOLDER);
      this.#reserved.delete(d.requestId);
    }
  }

  /** Worst cases held by the routed requests so far (an upper bound of what they will cost). */
  committedUsd(): number {
    return usdOfNano(this.#ledger.allScopes()[0]!.committedNano);
  }
}
