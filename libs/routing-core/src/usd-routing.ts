// Routing a job under one dollar budget, as the router does it per request: the pacer's price
// gamma scores every model (alpha d^ - gamma g^), the best-scoring model whose worst case the
// dollar ledger can still reserve takes the request, and a request no model fits is refused
// with the ledger's reason (deferred or rejected by the caller, never silently dropped). Used by
// file mode and the quote, with settlements at the estimated cost standing in for outcomes.
import { UsdLedger, nanoUsdCeil, nanoUsdFloor, usdOfNano } from './usd-ledger.ts';
import type { UsdRefusalReason } from './usd-ledger.ts';
import { UsdPacer } from './usd-pacer.ts';
import type { UsdPacerOptions } from './usd-pacer.ts';

export interface UsdRoutingRequest {
  readonly quality: ArrayLike<number>;
  /** Estimated cost per model in USD (what the pacer prices). */
  readonly costUsd: ArrayLike<number>;
  /** Worst case per model in USD (what the ledger reserves); NaN or Infinity: the model cannot take it. */
  readonly worstCaseUsd: ArrayLike<number>;
}

export type UsdRoutingChoice =
  | { readonly kind: 'route'; readonly model: number; readonly fallbackRank: number; readonly gamma: number }
  | { readonly kind: 'refused'; readonly reason: UsdRefusalReason };

/**
 * Routes `requests` in order under `budgetUsd`. The worst case is reserved and, the request
 * being decided, settled at its estimated cost (`settleUsd` may override, e.g. with a true cost).
 */
export function routeUnderUsdBudget(
  requests: readonly UsdRoutingRequest[],
  opts: Omit<UsdPacerOptions, 'streamLength' | 'budgetUsd'> & { readonly budgetUsd: number },
  settleUsd: (j: number, model: number) => number = (j, m) => requests[j]!.costUsd[m]!,
  nowMs: (j: number) => number = () => 0,
): { choices: UsdRoutingChoice[]; spentUsd: number } {
  const pacer = new UsdPacer({ ...opts, streamLength: requests.length });
  const ledger = new UsdLedger();
  ledger.setLimit('job', nanoUsdFloor(opts.budgetUsd));
  const choices = requests.map((r, j): UsdRoutingChoice => {
    const gamma = pacer.observe({ quality: r.quality, cost: r.costUsd }, nowMs(j));
    const order = Array.from({ length: opts.nModels }, (_, m) => m)
      .filter((m) => Number.isFinite(r.worstCaseUsd[m]!))
      .sort((a, b) => opts.alpha * r.quality[b]! - gamma * r.costUsd[b]! - (opts.alpha * r.quality[a]! - gamma * r.costUsd[a]!));
    let reason: UsdRefusalReason = 'budget_usd_too_small';
    for (let rank = 0; rank < order.length; rank++) {
      const m = order[rank]!;
      const res = ledger.reserve({ requestId: String(j), holder: 'quote', scopes: ['job'], amountNano: nanoUsdCeil(r.worstCaseUsd[m]!) });
      if (res.kind === 'refused') {
        if (res.reason === 'budget_usd_exhausted') reason = res.reason;
        continue;
      }
      ledger.settle(String(j), nanoUsdCeil(settleUsd(j, m)));
      pacer.setCommittedUsd(usdOfNano(ledger.scope('job')!.committedNano));
      return { kind: 'route', model: m, fallbackRank: rank, gamma };
    }
    return { kind: 'refused', reason };
  });
  return { choices, spentUsd: usdOfNano(ledger.scope('job')!.spentNano) };
}
