// The job against each single model under the same budget. Routing spreads a job over several
// models, so it can use every model's token budget at once; a single model alone has only its
// own. Comparing routing with "model X on every request" would credit X with requests its
// budget could never have served in the windows the job ran. So each model is held to the
// budget and windows the job had: the tokens its budget rules granted over the job's span (the
// tightest of its model rules, further bounded by the job's and tenant's rules), divided by
// its tokens per request (the router's estimate, which is what the budget is charged), gives
// the requests it could have served; the rest get no answer and score 0, as a request the
// router rejected scores 0 for routing. Both figures are means over the same requests.

import type { BudgetGrant } from '@switchyard/store';

export interface ModelCandidate {
  readonly model: string;
  /** Expected mean reward per request served (on the job's segments); null without outcomes. */
  readonly expectedMeanReward: number | null;
  /** Tokens the budget is charged per request on this model; null when unknown. */
  readonly tokensPerRequest: number | null;
  /** Tokens the model's budget granted over the job's windows; null when no budget was recorded. */
  readonly budgetTokens: number | null;
}

export interface ModelComparison extends ModelCandidate {
  /** Requests the model alone could have served within its budget; null when unbounded or unknown. */
  readonly servedRequests: number | null;
  /** Mean over all the job's requests, unserved ones at 0; null without outcomes. */
  readonly meanOverRequests: number | null;
}

/** Requests a model could serve with `budgetTokens` at `tokensPerRequest` each, at most `requests`. */
export function servedWithin(requests: number, budgetTokens: number | null, tokensPerRequest: number | null): number | null {
  if (budgetTokens === null || tokensPerRequest === null || !(tokensPerRequest > 0)) return null;
  return Math.min(requests, Math.floor(budgetTokens / tokensPerRequest));
}

export function compareUnderBudget(requests: number, candidates: readonly ModelCandidate[]): ModelComparison[] {
  return candidates.map((c) => {
    const served = servedWithin(requests, c.budgetTokens, c.tokensPerRequest);
    const share = served === null || requests === 0 ? 1 : served / requests;
    return { ...c, servedRequests: served, meanOverRequests: c.expectedMeanReward === null ? null : c.expectedMeanReward * share };
  });
}

/**
 * The budget a model alone would have had: the tightest of its own rules, and of the job's and
 * tenant's rules (they bound the job whichever model serves it); null when no rule applies.
 */
export function budgetFor(model: string, shared: readonly string[], grants: readonly BudgetGrant[]): number | null {
  let tightest: number | null = null;
  const bySubjectRule = new Map<string, number>();
  for (const g of grants) {
    if (g.subject !== model && !shared.includes(g.subject)) continue;
    const key = `${g.subject}\u0000${g.ruleId}`;
    bySubjectRule.set(key, (bySubjectRule.get(key) ?? 0) + g.limitTokens);
  }
  for (const total of bySubjectRule.values()) tightest = tightest === null ? total : Math.min(tightest, total);
  return tightest;
}
