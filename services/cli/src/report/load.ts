// Assembles one job's report data from what libs/store reads: the jobs row, the router's
// decisions and the recorded outcomes.
import { decisionTotals, outcomeTotals, readBudgetGrants, readDecisionTenants, readJob, readJobUsdBudgets, readQualityAgainstModels, readRoutedTokensPerMinute, readSpendOverTime, resultTotals } from '@switchyard/store';
import type { Queryable } from '@switchyard/store';
import { CliError } from '../errors.ts';
import { budgetFor, compareUnderBudget } from './compare.ts';
import type { ReportData, ReportModel, ReportQuality, ReportUsdBudget } from './data.ts';

/**
 * The job against each single model (readQualityAgainstModels: the per-request form of the
 * regret_by_job view), each model then held to the job's budget and windows (compare.ts), over
 * the job's answered and rejected requests.
 */
async function qualityUnderBudget(db: Queryable, jobId: string, tenants: readonly string[], rejected: number): Promise<ReportQuality | null> {
  const q = await readQualityAgainstModels(db, jobId);
  if (q === null) return null;
  const shared = [jobId, ...tenants];
  const grants = await readBudgetGrants(db, jobId, [...q.perModel.map((m) => m.model), ...shared]);
  const requests = q.rewarded + rejected;
  const compared = compareUnderBudget(
    requests,
    q.perModel.map((m) => ({ ...m, budgetTokens: budgetFor(m.model, shared, grants) })),
  );
  return {
    rewarded: q.rewarded,
    jobMeanReward: q.jobMeanReward,
    requests,
    jobMeanOverRequests: (q.jobMeanReward * q.rewarded) / requests,
    perModel: compared.map((c) => ({ model: c.model, expectedMeanReward: c.expectedMeanReward, servedRequests: c.servedRequests, meanOverRequests: c.meanOverRequests })),
  };
}

/** The job's dollar budget (from submit) against its true spend over time; null without one. */
async function usdBudgetOf(db: Queryable, jobId: string): Promise<ReportUsdBudget | null> {
  const job = (await readJobUsdBudgets(db, [jobId])).get(jobId);
  if (job === undefined || job.budgetUsd === null) return null;
  return { budgetUsd: job.budgetUsd, submittedAtMs: job.submittedAtMs, deadlineMs: job.deadlineMs, spend: await readSpendOverTime(db, jobId) };
}

/**
 * Everything `switchyard report` shows for one job. Throws CliError('not_found') when the id
 * has neither a jobs row nor decisions.
 */
export async function loadReportData(db: Queryable, jobId: string, nowMs: number = Date.now()): Promise<ReportData> {
  const job = await readJob(db, jobId);
  const decisions = await decisionTotals(db, jobId);
  const decided = decisions.routed + decisions.deferred + decisions.rejected;
  if (job === null && decided === 0) throw new CliError('not_found', `no job ${jobId} (switchyard jobs lists them)`);
  const tenants =
    job === null
      ? await readDecisionTenants(db, jobId)
      : [job.tenant];
  const outcomes = await outcomeTotals(db, jobId);

  const byModel = new Map<string, ReportModel>();
  for (const d of decisions.perModel) {
    byModel.set(d.model, {
      model: d.model,
      requests: d.requests,
      estimatedTokens: d.estimatedTokens,
      meanPredictedQuality: d.meanPredictedQuality,
      predictedCostUsd: d.predictedCostUsd,
      outcomes: 0,
      actualTokens: 0,
      meanQuality: null,
      costUsd: null,
    });
  }
  for (const o of outcomes?.perModel ?? []) {
    const base = byModel.get(o.model) ?? { model: o.model, requests: 0, estimatedTokens: 0, meanPredictedQuality: null, predictedCostUsd: 0 };
    byModel.set(o.model, { ...base, outcomes: o.received, actualTokens: o.tokens, meanQuality: o.meanQuality, costUsd: o.costUsd });
  }
  const models = [...byModel.values()].sort((a, b) => (a.model < b.model ? -1 : a.model > b.model ? 1 : 0));

  return {
    jobId,
    generatedAtMs: nowMs,
    job:
      job === null
        ? null
        : {
            tenant: job.tenant,
            source: job.source,
            status: job.status,
            submittedAtMs: job.submittedAt.getTime(),
            linesRead: job.linesRead,
            linesProduced: job.linesProduced,
            linesRejected: job.linesRejected,
          },
    tenants,
    routed: decisions.routed,
    deferred: decisions.deferred,
    rejected: decisions.rejected,
    models,
    tokensPerMinute: await readRoutedTokensPerMinute(db, jobId),
    // null outcomes: no outcomes table in this database (no outcome recorder has run).
    quality: outcomes === null ? null : await qualityUnderBudget(db, jobId, tenants, decisions.rejected),
    results: await resultTotals(db, jobId),
    usdBudget: await usdBudgetOf(db, jobId),
  };
}
