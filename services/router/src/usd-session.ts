// One slice's dollar reservations, beside its token leases: reserve each budgeted request's
// worst case before decide (the gate picks the best-ranked model that still fits, or says defer
// or reject with the reason), then keep only the reservations of requests that really went to
// their reserved model, or give them all back when the slice fails before its commit. A Kafka
// commit that fails after the handler returned re-delivers the slice; its decisions reserve
// again under the same request ids, which replaces these reservations rather than adding.
import { randomUUID } from 'node:crypto';
import type { RoutingDecision, UsdAsk, UsdJobPace, UsdRouting } from '@switchyard/routing-engine';
import type { UsdGateRequest, UsdGateVerdict, UsdJobPaceRow } from '@switchyard/store';

/** The dollar ledger as a slice uses it (the router: UsdBudgetGate on Postgres). */
export interface UsdGatePort {
  reserveSlice(holder: string, requests: readonly UsdGateRequest[]): Promise<UsdGateVerdict[]>;
  releaseSlice(holder: string, requestIds: readonly string[]): Promise<void>;
  /** Budgeted jobs among these, with what the shared ledger holds for each (absent: no pacing). */
  jobPaces?(jobIds: readonly string[]): Promise<ReadonlyMap<string, UsdJobPaceRow>>;
}

export interface UsdSession {
  /** What the engine paces each budgeted job of the slice against; undefined without a gate. */
  paces(jobIds: readonly string[]): Promise<ReadonlyMap<string, UsdJobPace> | undefined>;
  /** The verdicts decide obeys; undefined when no request of the slice has a dollar budget. */
  reserve(asks: readonly UsdAsk[]): Promise<ReadonlyMap<string, UsdRouting> | undefined>;
  /** After decide: releases what requests not routed to their reserved model hold. */
  keep(decisions: readonly RoutingDecision[]): Promise<void>;
  /** The slice failed before its commit: releases everything it reserved. */
  abort(): Promise<void>;
}

/** null gate: no dollar budgets, nothing to reserve. `instance` prefixes the holder id of this decision attempt. */
export function openUsdSession(gate: UsdGatePort | null, instance: string): UsdSession {
  const holder = `${instance}:${randomUUID()}`;
  const reserved = new Map<string, string>();
  const release = async (ids: readonly string[]): Promise<void> => {
    if (gate === null || ids.length === 0) return;
    await gate.releaseSlice(holder, ids);
    for (const id of ids) reserved.delete(id);
  };
  return {
    async paces(jobIds) {
      if (gate === null || gate.jobPaces === undefined || jobIds.length === 0) return undefined;
      return gate.jobPaces([...new Set(jobIds)]);
    },
    async reserve(asks) {
      if (gate === null || asks.length === 0) return undefined;
      const verdicts = await gate.reserveSlice(holder, asks);
      const out = new Map<string, UsdRouting>();
      asks.forEach((a, i) => {
        const v = verdicts[i]!;
        if (v.kind === 'unbudgeted') return;
        if (v.kind === 'route') reserved.set(a.requestId, v.model);
        out.set(a.requestId, routingOf(v));
      });
      return out.size === 0 ? undefined : out;
    },
    async keep(decisions) {
      if (reserved.size === 0) return;
      const routedTo = new Map(decisions.map((d) => [d.requestId, d.outcome === 'routed' ? d.model : null]));
      await release([...reserved].filter(([id, model]) => routedTo.get(id) !== model).map(([id]) => id));
    },
    async abort() {
      await release([...reserved.keys()]);
    },
  };
}

function routingOf(v: Exclude<UsdGateVerdict, { kind: 'unbudgeted' }>): UsdRouting {
  switch (v.kind) {
    case 'route':
      return { kind: 'route', model: v.model };
    case 'already_settled':
      return { kind: 'skip' };
    case 'defer':
      // Only budget_usd_exhausted can lift by itself (reservations come back, a day cap reopens).
      if (v.reason === 'budget_usd_exhausted') return { kind: 'defer', reason: v.reason, detail: detailOf(v) };
      return { kind: 'reject', reason: v.reason, detail: detailOf(v) };
    case 'reject':
      return { kind: 'reject', reason: v.reason, detail: detailOf(v) };
  }
}

function detailOf(v: { readonly reason: string; readonly scope: string | null }): string {
  return v.scope === null ? `${v.reason}: no allowed model has a price` : `${v.reason} in ${v.scope}`;
}
