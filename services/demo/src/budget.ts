// The demo under a dollar budget (`npm start -- --budget-usd X [--deadline D]`): before the job
// is submitted, `switchyard plan` quotes it with the router's own engine and config; after it
// ran, summary.json sets the quote against the true spend (the outcomes' costs in Postgres) and
// the dollar ledger's own count of it.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decisionTotals, outcomeTotals, runPlan } from '@switchyard/cli';
import type { PlanJson } from '@switchyard/cli';
import { jobUsdScope, readUsdBudgets, resultTotals } from '@switchyard/store';
import type { Pool } from '@switchyard/store';
import type { DemoServiceConfig } from './plan.ts';

export interface DemoBudget {
  readonly budgetUsd: number;
  /** As given (ISO time or a duration from now). */
  readonly deadline: string | undefined;
}

/** The router's config as one file, as `switchyard plan --config` and the router service read it. */
export function planConfigOf(plan: DemoServiceConfig): Record<string, unknown> {
  return { ...plan.shared, routerService: { ...plan.router, ledger: 'local' } };
}

/** Quotes the job file with the router's config: prints the quote, writes plan.json beside the run's other files. */
export async function quoteDemoJob(ctx: { readonly plan: DemoServiceConfig; readonly budget: DemoBudget; readonly jobFile: string; readonly jobId: string; readonly outDir: string }): Promise<PlanJson> {
  const configFile = join(ctx.outDir, 'router-config.json');
  await writeFile(configFile, `${JSON.stringify(planConfigOf(ctx.plan), null, 2)}\n`);
  return runPlan({
    in: ctx.jobFile,
    configFile,
    synthetic: false,
    tokensPerMinute: 1,
    policy: 'resolving-dual',
    env: {},
    budgetUsd: ctx.budget.budgetUsd,
    deadline: ctx.budget.deadline,
    jsonOut: join(ctx.outDir, 'plan.json'),
    jobId: ctx.jobId,
    tenant: 'demo',
    maxOutputTokens: 256,
    sliceRequests: 512,
    stderr: process.stderr,
    stdout: process.stdout,
  });
}

export interface DemoBudgetSummary {
  readonly runId: string;
  readonly jobId: string;
  readonly budgetUsd: number;
  readonly deadlineMs: number | null;
  /** The plan's predicted cost and quality, before anything ran. */
  readonly quotedCostUsd: number;
  readonly quotedQuality: number;
  /** True spend: the sum of the job's outcomes' costs in Postgres. */
  readonly spentUsd: number;
  /** The dollar ledger's settled spend of the job's budget (the same outcomes, counted by the ledger). */
  readonly ledgerSpentUsd: number | null;
  /** spentUsd / budgetUsd. */
  readonly budgetUsedFraction: number;
  /** |quoted - spent| / spent; null when nothing was spent. */
  readonly quoteErrorFraction: number | null;
  readonly requests: number;
  /** Requests answered (an answer stored, or with the simulator an outcome without error). */
  readonly results: number;
  /** Requests without an answer: refused under the budget, dead-lettered, or failed. */
  readonly errors: number;
  readonly rejected: number;
  readonly deadLettered: number;
}

export interface BudgetSummaryInput {
  readonly runId: string;
  readonly jobId: string;
  readonly quote: Pick<PlanJson, 'budgetUsd' | 'deadlineMs' | 'predictedCostUsd' | 'predictedQuality'>;
  readonly budgetUsd: number;
  readonly spentUsd: number;
  readonly ledgerSpentUsd: number | null;
  readonly requests: number;
  readonly answered: number;
  readonly rejected: number;
  readonly deadLettered: number;
}

export function budgetSummaryOf(i: BudgetSummaryInput): DemoBudgetSummary {
  return {
    runId: i.runId,
    jobId: i.jobId,
    budgetUsd: i.budgetUsd,
    deadlineMs: i.quote.deadlineMs,
    quotedCostUsd: i.quote.predictedCostUsd,
    quotedQuality: i.quote.predictedQuality,
    spentUsd: i.spentUsd,
    ledgerSpentUsd: i.ledgerSpentUsd,
    budgetUsedFraction: i.spentUsd / i.budgetUsd,
    quoteErrorFraction: i.spentUsd > 0 ? Math.abs(i.quote.predictedCostUsd - i.spentUsd) / i.spentUsd : null,
    requests: i.requests,
    results: i.answered,
    errors: Math.max(0, i.requests - i.answered),
    rejected: i.rejected,
    deadLettered: i.deadLettered,
  };
}

/** Reads what the job spent and answered from Postgres, writes summary.json and returns it. */
export async function writeBudgetSummary(
  pg: Pool,
  ctx: { readonly runId: string; readonly jobId: string; readonly outDir: string; readonly budgetUsd: number; readonly quote: PlanJson; readonly requests: number; readonly deadLettered: number },
): Promise<DemoBudgetSummary> {
  const outcomes = await outcomeTotals(pg, ctx.jobId);
  const results = await resultTotals(pg, ctx.jobId);
  const decisions = await decisionTotals(pg, ctx.jobId);
  const ledger = (await readUsdBudgets(pg, [jobUsdScope(ctx.jobId)]))[0];
  const storedAnswers = results === null ? 0 : results.answered + results.errors;
  const summary = budgetSummaryOf({
    runId: ctx.runId,
    jobId: ctx.jobId,
    quote: ctx.quote,
    budgetUsd: ctx.budgetUsd,
    spentUsd: (outcomes?.perModel ?? []).reduce((a, m) => a + m.costUsd, 0),
    ledgerSpentUsd: ledger?.spentUsd ?? null,
    requests: ctx.requests,
    // The simulator stores no answers: then an outcome is the answer.
    answered: storedAnswers > 0 ? results!.answered : (outcomes?.received ?? 0),
    rejected: decisions.rejected,
    deadLettered: ctx.deadLettered,
  });
  await writeFile(join(ctx.outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  return summary;
}

export function describeBudgetSummary(s: DemoBudgetSummary): string {
  const err = s.quoteErrorFraction === null ? '' : ` (quote off by ${(100 * s.quoteErrorFraction).toFixed(1)}%)`;
  return (
    `budget $${s.budgetUsd}: spent $${s.spentUsd.toFixed(4)} (${(100 * s.budgetUsedFraction).toFixed(1)}% of it; true costs from the outcomes), ` +
    `quoted $${s.quotedCostUsd.toFixed(4)} before the run${err}; ${s.results} of ${s.requests} requests answered, ${s.errors} not (${s.rejected} rejected, ${s.deadLettered} dead-lettered)`
  );
}
