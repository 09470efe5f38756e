import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WindowBudgetLedger, windowStartOf } from '@switchyard/routing-core';
import type { BudgetRule } from '@switchyard/routing-core';
import { leaseDemandOf } from '../src/lease-demand.ts';
import type { LeaseItem, Scored } from '../src/slice.ts';

const MODELS = ['a', 'b', 'c'];
const RULES: BudgetRule[] = [
  { id: 'model:a:minute', scope: { kind: 'model', model: 'a' }, windowMs: 60_000, limitTokens: 5_000 },
  { id: 'model:b:hour', scope: { kind: 'model', model: 'b' }, windowMs: 3_600_000, limitTokens: 1e9 },
  { id: 'tenant:*:minute', scope: { kind: 'tenant', tenant: '*' }, windowMs: 60_000, limitTokens: 2_000 },
  { id: 'tenant:t1:day', scope: { kind: 'tenant', tenant: 't1' }, windowMs: 86_400_000, limitTokens: 1e9 },
  { id: 'job:*:minute', scope: { kind: 'job', jobId: '*' }, windowMs: 60_000, limitTokens: 1e9 },
];

/** The definition, request by request and model by model (what leaseDemandOf computes faster). */
function reference(ledger: WindowBudgetLedger, admitted: readonly Scored[], nowMs: number): LeaseItem[] {
  const demand = new Map<string, LeaseItem>();
  const add = (rule: BudgetRule, subject: string, tokens: number): void => {
    const windowStartMs = windowStartOf(nowMs, rule.windowMs);
    const key = `${rule.id}|${subject}|${windowStartMs}`;
    const prev = demand.get(key);
    demand.set(key, { ruleId: rule.id, subject, windowStartMs, windowMs: rule.windowMs, limitTokens: rule.limitTokens, tokens: Math.min(rule.limitTokens, (prev?.tokens ?? 0) + tokens) });
  };
  for (const s of admitted) {
    let largest = 0;
    MODELS.forEach((model, m) => {
      if (s.request.allowedModels !== null && !s.request.allowedModels.includes(model)) return;
      largest = Math.max(largest, s.estimatedTokens[m]!);
      for (const { rule, subject } of ledger.rulesFor({ model, tenant: s.request.tenant, jobId: s.request.jobId })) if (rule.scope.kind === 'model') add(rule, subject, s.estimatedTokens[m]!);
    });
    for (const { rule, subject } of ledger.rulesFor({ model: '', tenant: s.request.tenant, jobId: s.request.jobId })) if (rule.scope.kind !== 'model') add(rule, subject, largest);
  }
  return [...demand.values()];
}

const request = fc.record({
  tenant: fc.constantFrom('t1', 't2'),
  jobId: fc.constantFrom('j1', 'j2', 'j3'),
  allowedModels: fc.oneof(fc.constant(null), fc.subarray(MODELS, { minLength: 1 })),
  tokens: fc.array(fc.integer({ min: 0, max: 3_000 }), { minLength: 3, maxLength: 3 }),
});

describe('leaseDemandOf', () => {
  it('asks for what the per-request definition asks for, in the same order', () => {
    const ledger = new WindowBudgetLedger(RULES, 'leased');
    fc.assert(
      fc.property(fc.array(request, { maxLength: 12 }), fc.integer({ min: 0, max: 1e12 }), (reqs, nowMs) => {
        const admitted = reqs.map((r) => ({ request: { tenant: r.tenant, jobId: r.jobId, allowedModels: r.allowedModels }, estimatedTokens: Float64Array.from(r.tokens) }) as unknown as Scored);
        expect(leaseDemandOf(ledger, MODELS, admitted, nowMs)).toEqual(reference(ledger, admitted, nowMs));
      }),
    );
  });
});
