import type { Decision } from '../decision.ts';
import type { EstimateBatch, QueryEstimate } from '../estimates.ts';
import type { Pricing, ScoreKernel } from '../policy-score.ts';

export type PolicyName = 'random' | 'greedy-perf' | 'greedy-cost' | 'knn-perf' | 'knn-cost' | 'port' | 'resolving-dual';

/** What comes back for a served query: its true cost and quality (only served queries report). */
export interface ServedOutcome {
  readonly model: number;
  readonly cost: number;
  readonly quality: number;
  /** The `reservedCost` of the decision that sent it. */
  readonly reservedCost: number;
}

/** A routed query that was not served (its model's budget could not take it). */
export interface LostOutcome {
  readonly model: number;
  readonly reservedCost: number;
}

/**
 * The one interface every routing policy implements (a strategy, built by `createPolicy`).
 * `choose` is synchronous; any solver a policy needs is loaded in its async factory.
 * Policies score through `pricing()` (score_m = alpha d^_m - prices_m g^_m), and `chooseBatch`
 * runs those scores through a batch kernel when one is given; budgets and fallbacks are applied
 * after scoring, per query, in stream order.
 */
export interface RoutingPolicy {
  readonly name: PolicyName;
  readonly nModels: number;
  pricing(): Pricing;
  choose(estimate: QueryEstimate): Decision;
  chooseBatch(batch: EstimateBatch, kernel?: ScoreKernel): Decision[];
  recordOutcome(outcome: ServedOutcome): void;
  recordLost(outcome: LostOutcome): void;
}
