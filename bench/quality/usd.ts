// The dollar-budget method: PORT's own setting (one budget for the whole stream, shared by all
// models; arXiv 2509.02718) routed as the router routes a job with a dollar budget
// (routeUnderUsdBudget: paced dual price against the remaining budget, worst case reserved,
// settled to the true cost). Its budget is the protocol's total, not split per model. The
// worst case of a request is the largest cost its model had in the history (the router knows
// it exactly from max output tokens; the data set has no max output tokens). It also measures
// the quote: the estimates of the chosen models (what `switchyard plan` predicts) against the
// true cost and quality those choices realised.
import { routeUnderUsdBudget, type UsdRoutingRequest } from '@switchyard/routing-core';
import type { Prepared, RunTotals, Stat } from './protocol.ts';

export interface UsdQuoteRun {
  predictedCostUsd: number;
  realisedCostUsd: number;
  predictedQuality: number;
  realisedQuality: number;
}

export interface QuoteAccuracy {
  predictedCostUsd: Stat;
  realisedCostUsd: Stat;
  predictedQuality: Stat;
  realisedQuality: Stat;
  /** Mean over seeds of |predicted - realised| / realised. */
  costErrorFraction: number;
  qualityErrorFraction: number;
}

export function runUsdBudget(p: Prepared, totalUsd: number, order: Int32Array): { totals: RunTotals; quote: UsdQuoteRun } {
  const M = p.models.length;
  const est = p.primary;
  const requests: UsdRoutingRequest[] = Array.from(order, (j) => ({
    quality: est.quality.subarray(j * M, (j + 1) * M),
    costUsd: est.cost.subarray(j * M, (j + 1) * M),
    worstCaseUsd: p.historyMaxCost,
  }));
  const trueCost = (i: number, m: number): number => {
    const c = p.trueCost[order[i]! * M + m]!;
    return Number.isNaN(c) ? 0 : c;
  };
  const t0 = performance.now();
  const { choices } = routeUnderUsdBudget(
    requests,
    { budgetUsd: totalUsd, nModels: M, alpha: 1, gammaMax: 1e6, windowSize: 512, resolveEvery: 64, allowDrop: false, deadlineMs: null, throughputPerSec: null },
    trueCost,
  );
  const decideMs = performance.now() - t0;
  const totals: RunTotals = { performance: 0, cost: 0, served: 0, lost: 0, exceeded: false, decideMs };
  const quote: UsdQuoteRun = { predictedCostUsd: 0, realisedCostUsd: 0, predictedQuality: 0, realisedQuality: 0 };
  choices.forEach((c, i) => {
    if (c.kind !== 'route') return;
    const j = order[i]!;
    const q = p.trueQuality[j * M + c.model]!;
    totals.performance += Number.isNaN(q) ? 0 : q;
    totals.cost += trueCost(i, c.model);
    totals.served++;
    quote.predictedCostUsd += est.cost[j * M + c.model]!;
    quote.predictedQuality += est.quality[j * M + c.model]!;
  });
  quote.realisedCostUsd = totals.cost;
  quote.realisedQuality = totals.performance;
  totals.exceeded = totals.cost > totalUsd * (1 + 1e-9);
  return { totals, quote };
}

function stat(xs: readonly number[]): Stat {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, sd };
}

export function summariseQuotes(runs: readonly UsdQuoteRun[]): QuoteAccuracy {
  const err = (p: number, r: number): number => (r > 0 ? Math.abs(p - r) / r : 0);
  return {
    predictedCostUsd: stat(runs.map((r) => r.predictedCostUsd)),
    realisedCostUsd: stat(runs.map((r) => r.realisedCostUsd)),
    predictedQuality: stat(runs.map((r) => r.predictedQuality)),
    realisedQuality: stat(runs.map((r) => r.realisedQuality)),
    costErrorFraction: runs.reduce((a, r) => a + err(r.predictedCostUsd, r.realisedCostUsd), 0) / runs.length,
    qualityErrorFraction: runs.reduce((a, r) => a + err(r.predictedQuality, r.realisedQuality), 0) / runs.length,
  };
}
