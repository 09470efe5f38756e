import type { Decision } from '../decision.ts';
import { rankModels } from '../decision.ts';
import type { QueryEstimate } from '../estimates.ts';
import { solveDualPrices } from '../lp/dual-prices.ts';
import type { LpSolver } from '../lp/solver.ts';
import type { Rng } from '../rng.ts';
import { BasePolicy } from './base.ts';

export interface PortOptions {
  readonly budgets: ArrayLike<number>;
  /** N, the stream length the learning phase is a fraction of. */
  readonly streamLength: number;
  readonly alpha: number;
  readonly eps: number;
  readonly gammaMax: number;
}

/**
 * PORT, faithful to the paper (Wu & Silwal, NeurIPS 2025, arXiv 2509.02718, Alg. 1) and its
 * reference code (fzwark/PORT, algo.py `Router.routing_batch`):
 *  1. the first ceil(eps * N) queries are routed uniformly at random over {models, drop} while
 *     their estimates are recorded;
 *  2. then, once, gamma in [0, gammaMax]^M minimises eps * gamma.B + sum_j max_m(alpha d^_mj -
 *     gamma_m g^_mj) over the recorded estimates (solved exactly as an LP, see dual-prices.ts);
 *  3. every later query goes to argmax_m(alpha d^_m - gamma_m g^_m).
 * gamma is never updated and there is no fallback: when that model's budget is spent the query
 * is lost by the serving rule. Those are the two weaknesses `resolving-dual` addresses.
 */
export class PortPolicy extends BasePolicy {
  readonly name = 'port' as const;
  readonly learnLimit: number;
  readonly #opts: PortOptions;
  readonly #solver: LpSolver;
  readonly #rng: Rng;
  readonly #seenQuality: number[] = [];
  readonly #seenCost: number[] = [];
  #seen = 0;
  #optimised = false;

  constructor(opts: PortOptions, solver: LpSolver, rng: Rng) {
    super(opts.budgets.length, opts.alpha);
    this.#opts = opts;
    this.#solver = solver;
    this.#rng = rng;
    this.learnLimit = Math.ceil(opts.eps * opts.streamLength);
    // PORT's initial gamma (1/M each); only used if the learning phase is empty.
    this.setPrices(new Float64Array(this.nModels).fill(1 / this.nModels));
  }

  get gamma(): Float64Array {
    return this.pricingState.prices;
  }

  get learning(): boolean {
    return this.#seen < this.learnLimit;
  }

  protected override prepare(estimate: QueryEstimate): void {
    if (this.#seen >= this.learnLimit && !this.#optimised) this.#optimise();
    if (this.#seen < this.learnLimit) {
      for (let m = 0; m < this.nModels; m++) {
        this.#seenQuality.push(estimate.quality[m]!);
        this.#seenCost.push(estimate.cost[m]!);
      }
    }
    this.#seen++;
  }

  protected decide(estimate: QueryEstimate, scores: Float64Array): Decision {
    if (this.#seen <= this.learnLimit) {
      const r = Math.min(this.nModels, Math.floor(this.#rng() * (this.nModels + 1)));
      if (r === this.nModels) return { kind: 'drop', reason: 'exploration' };
      return { kind: 'route', model: r, fallbackRank: 0, scores, reservedCost: estimate.cost[r]! };
    }
    const model = rankModels(scores)[0]!;
    return { kind: 'route', model, fallbackRank: 0, scores, reservedCost: estimate.cost[model]! };
  }

  #optimise(): void {
    const n = this.#seenQuality.length / this.nModels;
    const budgets = Float64Array.from(this.#opts.budgets, (b) => this.#opts.eps * b);
    const { gamma } = solveDualPrices(this.#solver, {
      nQueries: n,
      nModels: this.nModels,
      quality: this.#seenQuality,
      cost: this.#seenCost,
      budgets,
      alpha: this.#opts.alpha,
      gammaMax: this.#opts.gammaMax,
      allowDrop: false,
    });
    this.setPrices(gamma);
    this.#optimised = true;
  }
}
