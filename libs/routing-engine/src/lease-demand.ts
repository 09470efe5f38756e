// Which budget windows a slice needs leased from the shared store before it is decided, and
// what it gives back after. Pure over the ledger's rules; the shell does the store calls.
import { windowStartOf } from '@switchyard/routing-core';
import type { WindowBudgetLedger } from '@switchyard/routing-core';
import type { LeaseItem, Scored } from './slice.ts';

/**
 * Demand per window: a model window may see each request's tokens on that model; a tenant or
 * job window at most each request's largest estimate (a request takes one model).
 */
export function leaseDemandOf(ledger: WindowBudgetLedger, models: readonly string[], admitted: readonly Scored[], nowMs: number): LeaseItem[] {
  const demand = new Map<string, LeaseItem>();
  const add = (ruleId: string, subject: string, windowMs: number, limitTokens: number, tokens: number): void => {
    const windowStartMs = windowStartOf(nowMs, windowMs);
    const key = `${ruleId}|${subject}|${windowStartMs}`;
    const prev = demand.get(key);
    demand.set(key, { ruleId, subject, windowStartMs, windowMs, limitTokens, tokens: Math.min(limitTokens, (prev?.tokens ?? 0) + tokens) });
  };
  for (const s of admitted) {
    let largest = 0;
    for (let m = 0; m < models.length; m++) {
      const model = models[m]!;
      if (s.request.allowedModels !== null && !s.request.allowedModels.includes(model)) continue;
      const t = s.estimatedTokens[m]!;
      largest = Math.max(largest, t);
      for (const { rule, subject } of ledger.rulesFor({ model, tenant: s.request.tenant, jobId: s.request.jobId })) {
        if (rule.scope.kind === 'model') add(rule.id, subject, rule.windowMs, rule.limitTokens, t);
      }
    }
    for (const { rule, subject } of ledger.rulesFor({ model: '', tenant: s.request.tenant, jobId: s.request.jobId })) {
      if (rule.scope.kind !== 'model') add(rule.id, subject, rule.windowMs, rule.limitTokens, largest);
    }
  }
  return [...demand.values()];
}

/**
 * After decide: every lease taken with what it gives back (its unused tokens). Those with
 * nothing to give back are included too: an owned lease stays on record (reclaimable after a
 * crash) until its slice settles it.
 */
export function leaseReturnsOf(ledger: WindowBudgetLedger, leased: readonly LeaseItem[]): LeaseItem[] {
  const surplusOf = new Map<string, number>();
  for (const s of ledger.settle()) surplusOf.set(s.key, s.surplusTokens);
  return leased.map((l) => ({ ...l, tokens: surplusOf.get(`${l.ruleId}|${l.subject}|${l.windowStartMs}`) ?? 0 }));
}
