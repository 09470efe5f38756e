// What a job report shows, as plain data: loadReportData fills it from Postgres and
// renderReport turns it into HTML, so the rendering is testable without a database.

export interface ReportJob {
  readonly tenant: string;
  readonly source: string;
  readonly status: string;
  readonly submittedAtMs: number;
  readonly linesRead: number;
  readonly linesProduced: number;
  readonly linesRejected: number;
}

export interface ReportModel {
  readonly model: string;
  /** Requests routed to the model (decisions). */
  readonly requests: number;
  readonly estimatedTokens: number;
  readonly meanPredictedQuality: number | null;
  readonly predictedCostUsd: number;
  /** Outcomes received for the job's requests on this model. */
  readonly outcomes: number;
  /** Prompt + completion tokens the outcomes report. */
  readonly actualTokens: number;
  /** Mean observed quality of the outcomes; null when none reported one. */
  readonly meanQuality: number | null;
  /** Summed reported or derived cost of the outcomes; null when there are no outcomes. */
  readonly costUsd: number | null;
}

/** Estimated tokens routed to one model in one UTC minute (decided_at truncated). */
export interface ReportTokenBucket {
  readonly model: string;
  readonly minuteStartMs: number;
  readonly tokens: number;
}

/**
 * The job against each single model in hindsight, each held to the budget the job had. Only
 * the chosen model's result of a request is known, so a model's expected mean per request is
 * its mean reward on each of the job's segments (its overall mean where it has none in a
 * segment), weighted by the job's outcomes per segment: the estimate of the
 * switchyard.regret_by_job view. Alone, a model has only its own token budget over the job's
 * windows, so it serves `servedRequests` of the job's requests and the others score 0
 * (report/compare.ts says why and how).
 */
export interface ReportQuality {
  /** Job outcomes that carry a reward (quality, else success, else 0 on error). */
  readonly rewarded: number;
  /** Mean reward of the job's outcomes (the quality of the answers routing got). */
  readonly jobMeanReward: number;
  /** Requests compared over: those with a rewarded outcome and those the router rejected. */
  readonly requests: number;
  /** Routing's mean over `requests` (a rejected request scores 0): the figure the models are held to. */
  readonly jobMeanOverRequests: number;
  readonly perModel: readonly ReportModelComparison[];
}

export interface ReportModelComparison {
  readonly model: string;
  /** Expected mean reward per request served; null when the model has no outcomes yet. */
  readonly expectedMeanReward: number | null;
  /** Requests it alone could have served within the job's budget and windows; null when no budget bounds it. */
  readonly servedRequests: number | null;
  /** Its mean over the job's requests, the unserved ones at 0; null without outcomes. */
  readonly meanOverRequests: number | null;
}

export interface ReportData {
  readonly jobId: string;
  readonly generatedAtMs: number;
  /** null when the requests reached the router without a `submit` (no jobs row). */
  readonly job: ReportJob | null;
  /** Tenants seen in the job's decisions, when there is no jobs row to name it. */
  readonly tenants: readonly string[];
  readonly routed: number;
  readonly deferred: number;
  readonly rejected: number;
  readonly models: readonly ReportModel[];
  readonly tokensPerMinute: readonly ReportTokenBucket[];
  /** null when no outcome of the job carries a reward yet. */
  readonly quality: ReportQuality | null;
  /** The job's stored answers (switchyard.results): null when the database has no results table. */
  readonly results: ReportResults | null;
  /** The job's dollar budget and its use over time; null or absent when the job has no dollar budget. */
  readonly usdBudget?: ReportUsdBudget | null;
}

/** A job's dollar budget against its true spend (outcomes' costs) over time. */
export interface ReportUsdBudget {
  readonly budgetUsd: number;
  readonly submittedAtMs: number;
  readonly deadlineMs: number | null;
  /** Cumulative true cost, in time order. */
  readonly spend: readonly { readonly atMs: number; readonly cumulativeUsd: number }[];
}

/** What `switchyard results` would write: answers, errors and their cost. */
export interface ReportResults {
  readonly answered: number;
  readonly errors: number;
  readonly costUsd: number | null;
}
