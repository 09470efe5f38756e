import { selectWithFallback, type Decision } from '../decision.ts';
import type { QueryEstimate } from '../estimates.ts';
import type { Rng } from '../rng.ts';
import { BasePolicy } from './base.ts';
import type { PolicyName } from './types.ts';

/** Uniform over the models, blind to estimates and budgets (PORT's Random baseline). */
export class RandomPolicy extends BasePolicy {
  readonly name = 'random' as const;
  readonly #rng: Rng;

  constructor(nModels: number, rng: Rng) {
    super(nModels, 0);
    this.#rng = rng;
  }

  protected decide(estimate: QueryEstimate, scores: Float64Array): Decision {
    const model = Math.min(this.nModels - 1, Math.floor(this.#rng() * this.nModels));
    return { kind: 'route', model, fallbackRank: 0, scores, reservedCost: estimate.cost[model]! };
  }
}

/**
 * Greedy baselines of PORT (arXiv 2509.02718, Sec. 5.1) over k-NN estimates. They never see
 * true costs: each keeps an estimated spend (sum of g^ of what it routed) per model and only
 * considers models whose estimated remaining budget still covers g^ for this query.
 *  - greedy-perf / knn-perf: the highest d^ among those models;
 *  - greedy-cost / knn-cost: the model with the most estimated budget left.
 * The knn-* variants are the same rules; the bench feeds them exact-kNN estimates instead of ANN.
 */
export class GreedyPolicy extends BasePolicy {
  readonly name: PolicyName;
  readonly #objective: 'perf' | 'cost';
  readonly #budgets: Float64Array;
  readonly #estimatedSpend: Float64Array;

  constructor(name: 'greedy-perf' | 'greedy-cost' | 'knn-perf' | 'knn-cost', budgets: ArrayLike<number>) {
    super(budgets.length, 1);
    this.name = name;
    this.#objective = name.endsWith('perf') ? 'perf' : 'cost';
    this.#budgets = Float64Array.from(budgets);
    this.#estimatedSpend = new Float64Array(budgets.length);
  }

  protected decide(estimate: QueryEstimate, scores: Float64Array): Decision {
    const left = (m: number): number => this.#budgets[m]! - this.#estimatedSpend[m]!;
    const ranking = this.#objective === 'perf' ? scores : Float64Array.from({ length: this.nModels }, (_, m) => left(m));
    const pick = selectWithFallback(ranking, (m) => estimate.cost[m]! <= left(m));
    if (!pick) return { kind: 'drop', reason: 'no_budget' };
    const reservedCost = estimate.cost[pick.model]!;
    this.#estimatedSpend[pick.model]! += reservedCost;
    return { kind: 'route', model: pick.model, fallbackRank: pick.rank, scores: ranking, reservedCost };
  }
}
