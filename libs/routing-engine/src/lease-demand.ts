// Which budget windows a slice needs leased from the shared store before it is decided, and
// what it gives back after. Pure over the ledger's rules; the shell does the store calls.
import { windowStartOf } from '@switchyard/routing-core';
import type { WindowBudgetLedger } from '@switchyard/routing-core';
import type { LeaseItem, Scored } from './slice.ts';

/** One window a request of a (tenant, job) counts against, with its demand key. */
interface WindowRef {
  readonly key: string;
  readonly ruleId: string;
  readonly subject: string;
  readonly windowStartMs: number;
  readonly windowMs: number;
  readonly limitTokens: number;
}

/** The windows of one (tenant, job): per model its model-scoped windows, and the others once. */
interface SubjectWindows {
  readonly perModel: readonly (readonly WindowRef[])[];
  readonly others: readonly WindowRef[];
}

/**
 * Demand per window: a model window may see each request's tokens on that model; a tenant or
 * job window at most each request's largest estimate (a request takes one model). The rules a
 * request counts against depend on its tenant and job only, so they are looked up once per
 * (tenant, job) of the slice, not per request and model.
 */
export function leaseDemandOf(ledger: WindowBudgetLedger, models: readonly string[], admitted: readonly Scored[], nowMs: number): LeaseItem[] {
  const demand = new Map<string, { -readonly [K in keyof LeaseItem]: LeaseItem[K] }>();
  const add = (w: WindowRef, tokens: number): void => {
    const prev = demand.get(w.key);
    if (prev === undefined) demand.set(w.key, { ruleId: w.ruleId, subject: w.subject, windowStartMs: w.windowStartMs, windowMs: w.windowMs, limitTokens: w.limitTokens, tokens: Math.min(w.limitTokens, tokens) });
    else prev.tokens = Math.min(w.limitTokens, prev.tokens + tokens);
  };
  const bySubject = new Map<string, SubjectWindows>();
  for (const s of admitted) {
    const { tenant, jobId, allowedModels } = s.request;
    const subjectKey = `${tenant}\u0000${jobId}`;
    let windows = bySubject.get(subjectKey);
    if (windows === undefined) {
      windows = windowsOf(ledger, models, tenant, jobId, nowMs);
      bySubject.set(subjectKey, windows);
    }
    let largest = 0;
    for (let m = 0; m < models.length; m++) {
      if (allowedModels !== null && !allowedModels.includes(models[m]!)) continue;
      const t = s.estimatedTokens[m]!;
      largest = Math.max(largest, t);
      for (const w of windows.perModel[m]!) add(w, t);
    }
    for (const w of windows.others) add(w, largest);
  }
  return [...demand.values()];
}

function windowsOf(ledger: WindowBudgetLedger, models: readonly string[], tenant: string, jobId: string, nowMs: number): SubjectWindows {
  const ref = (rule: { readonly id: string; readonly windowMs: number; readonly limitTokens: number }, subject: string): WindowRef => {
    const windowStartMs = windowStartOf(nowMs, rule.windowMs);
    return { key: `${rule.id}|${subject}|${windowStartMs}`, ruleId: rule.id, subject, windowStartMs, windowMs: rule.windowMs, limitTokens: rule.limitTokens };
  };
  const perModel = models.map((model) => ledger.rulesFor({ model, tenant, jobId }).flatMap(({ rule, subject }) => (rule.scope.kind === 'model' ? [ref(rule, subject)] : [])));
  const others = ledger.rulesFor({ model: '', tenant, jobId }).flatMap(({ rule, subject }) => (rule.scope.kind !== 'model' ? [ref(rule, subject)] : []));
  return { perModel, others };
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
