// What `switchyard plan` prints and writes: the quote of a job before it runs (routing-core's
// quoteJob), as a table for people and as JSON (`predictedCostUsd`, `predictedQuality`,
// `models`, `singleModel`, `finishSeconds`) for tools and for comparing with the realised job.
import type { Quote } from '@switchyard/routing-core';
import { renderTable } from '../table.ts';

export interface PlanJson {
  readonly jobId: string;
  readonly policy: string;
  readonly budgetUsd: number | null;
  readonly deadlineMs: number | null;
  readonly requests: number;
  readonly routed: number;
  readonly notRouted: number;
  readonly predictedCostUsd: number;
  readonly predictedQuality: number;
  readonly finishSeconds: number;
  readonly meetsDeadline: boolean | null;
  readonly models: Quote['models'];
  readonly singleModel: Quote['singleModel'];
}

export function planJson(jobId: string, policy: string, quote: Quote, deadlineMs: number | null): PlanJson {
  return {
    jobId,
    policy,
    budgetUsd: quote.budgetUsd,
    deadlineMs,
    requests: quote.requests,
    routed: quote.routed,
    notRouted: quote.notRouted,
    predictedCostUsd: quote.predictedCostUsd,
    predictedQuality: quote.predictedQuality,
    finishSeconds: quote.finishSeconds,
    meetsDeadline: quote.meetsDeadline,
    models: quote.models,
    singleModel: quote.singleModel,
  };
}

const usd = (v: number): string => `$${v.toFixed(v < 1 ? 4 : 2)}`;
const duration = (s: number): string => (s < 120 ? `${s.toFixed(0)} s` : s < 7_200 ? `${(s / 60).toFixed(1)} min` : `${(s / 3_600).toFixed(1)} h`);

export function formatPlan(p: PlanJson): string {
  const head = [
    `job ${p.jobId}: ${p.requests} requests, policy ${p.policy}, budget ${p.budgetUsd === null ? 'none' : usd(p.budgetUsd)}` +
      (p.deadlineMs === null ? '' : `, deadline ${new Date(p.deadlineMs).toISOString()}`),
    `quote: ${usd(p.predictedCostUsd)}, quality ${p.predictedQuality.toFixed(3)} (mean over all requests, unrouted count 0), ` +
      `finishes in ${duration(p.finishSeconds)}${p.meetsDeadline === false ? ' (after the deadline)' : ''}; ${p.notRouted} requests would not fit the budget`,
  ];
  const mix = renderTable(
    [{ title: 'model' }, { title: 'requests', align: 'right' }, { title: 'cost', align: 'right' }, { title: 'quality', align: 'right' }, { title: 'busy for', align: 'right' }],
    p.models.map((m) => [m.name, m.requests, usd(m.predictedCostUsd), m.predictedQuality.toFixed(3), duration(m.finishSeconds)]),
  );
  const alone = renderTable(
    [{ title: 'one model alone' }, { title: 'served', align: 'right' }, { title: 'cost', align: 'right' }, { title: 'quality', align: 'right' }, { title: 'finishes in', align: 'right' }, { title: 'fits budget' }],
    p.singleModel.map((m) => [m.name, m.requestsWithinBudget, usd(m.predictedCostUsd), m.predictedQuality.toFixed(3), duration(m.finishSeconds), m.fitsBudget ? 'yes' : 'no']),
  );
  return [...head, '', mix, '', alone].join('\n');
}
