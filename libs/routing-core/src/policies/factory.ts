import { z } from 'zod';
import { RoutingError } from '../errors.ts';
import { loadHighsSolver, type LpSolver } from '../lp/solver.ts';
import { createRng } from '../rng.ts';
import { GreedyPolicy, RandomPolicy } from './baselines.ts';
import { ResolvingDualPolicy } from './resolving-dual.ts';
import { PortPolicy } from './port.ts';
import type { RoutingPolicy } from './types.ts';

const seed = z.number().int().default(0);

/**
 * Policy configuration, parsed once with zod. Defaults for `port` are PORT's published
 * command (alpha = 1e-4, eps = 0.025; gamma bounded to [0, 1] as in algo.py). Defaults for
 * `resolving-dual` were chosen on tuning seeds of the benchmark (see README, "Quality benchmark").
 */
export const PolicyConfigSchema = z.discriminatedUnion('policy', [
  z.object({ policy: z.literal('random'), seed }).strict(),
  z.object({ policy: z.enum(['greedy-perf', 'greedy-cost', 'knn-perf', 'knn-cost']) }).strict(),
  z
    .object({
      policy: z.literal('port'),
      seed,
      alpha: z.number().positive().default(1e-4),
      eps: z.number().gt(0).lte(1).default(0.025),
      gammaMax: z.number().positive().default(1),
    })
    .strict(),
  z
    .object({
      policy: z.literal('resolving-dual'),
      alpha: z.number().positive().default(1),
      windowSize: z.number().int().positive().default(256),
      resolveEvery: z.number().int().positive().default(128),
      minResolveIntervalMs: z.number().min(0).default(0),
      gammaMax: z.number().positive().default(1e9),
      safetyMargin: z.number().min(0).default(0.1),
      paceStep: z.number().min(0).default(0),
      dropNegative: z.boolean().default(true),
    })
    .strict(),
]);

/**
 * The neighbour estimator `resolving-dual` runs with in the router: PORT's own features (k = 5 plain
 * means), so every gain over PORT in the benchmark comes from the policy. Measured and not
 * adopted: 15 similarity-weighted neighbours helped on held-out history but lost on the test
 * stream at tuning seeds (README, "Quality benchmark").
 */
export const RESOLVING_DUAL_ESTIMATOR = Object.freeze({ k: 5, weighting: 'uniform' as const });

export type PolicyConfigInput = z.input<typeof PolicyConfigSchema>;
export type PolicyConfig = Readonly<z.output<typeof PolicyConfigSchema>>;

/** What a policy is built against: the models' budgets (B_m, cost units) and the stream length. */
export interface PolicyContext {
  readonly budgets: ArrayLike<number>;
  readonly streamLength: number;
  /** Supply a loaded solver to share it; otherwise HiGHS is loaded when a policy needs it. */
  readonly solver?: LpSolver;
  /** Milliseconds clock for time-based settings (resolving-dual's minResolveIntervalMs); default Date.now. */
  readonly clock?: () => number;
}

/** The name `resolving-dual` had before it was named for what it does; still read, with a warning. */
const DEPRECATED_ALIASES: Readonly<Record<string, string>> = { ours: 'resolving-dual' };
const warnedAliases = new Set<string>();

function resolveAlias(input: unknown): unknown {
  if (typeof input !== 'object' || input === null) return input;
  const name = (input as { policy?: unknown }).policy;
  const current = typeof name === 'string' ? DEPRECATED_ALIASES[name] : undefined;
  if (current === undefined || typeof name !== 'string') return input;
  if (!warnedAliases.has(name)) {
    warnedAliases.add(name);
    process.emitWarning(`policy "${name}" is deprecated and will be removed; use "${current}" (same policy, same options)`, {
      type: 'DeprecationWarning',
      code: 'SWITCHYARD_POLICY_ALIAS',
    });
  }
  return { ...input, policy: current };
}

export function parsePolicyConfig(input: unknown): PolicyConfig {
  const r = PolicyConfigSchema.safeParse(resolveAlias(input));
  if (!r.success) {
    const detail = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new RoutingError('invalid_config', `invalid policy config: ${detail}`, { cause: r.error });
  }
  return Object.freeze(r.data);
}

/** Builds a policy from config; async because PORT and resolving-dual load the LP solver. */
export async function createPolicy(input: PolicyConfigInput | PolicyConfig, ctx: PolicyContext): Promise<RoutingPolicy> {
  const cfg = parsePolicyConfig(input);
  if (ctx.budgets.length === 0) throw new RoutingError('invalid_input', 'a policy needs at least one model budget');
  if (!(ctx.streamLength > 0)) throw new RoutingError('invalid_input', `streamLength must be > 0, got ${ctx.streamLength}`);
  switch (cfg.policy) {
    case 'random':
      return new RandomPolicy(ctx.budgets.length, createRng(cfg.seed));
    case 'greedy-perf':
    case 'greedy-cost':
    case 'knn-perf':
    case 'knn-cost':
      return new GreedyPolicy(cfg.policy, ctx.budgets);
    case 'port':
      return new PortPolicy(
        { budgets: ctx.budgets, streamLength: ctx.streamLength, alpha: cfg.alpha, eps: cfg.eps, gammaMax: cfg.gammaMax },
        ctx.solver ?? (await loadHighsSolver()),
        createRng(cfg.seed),
      );
    case 'resolving-dual':
      return new ResolvingDualPolicy({ ...cfg, budgets: ctx.budgets, streamLength: ctx.streamLength }, ctx.solver ?? (await loadHighsSolver()), ctx.clock);
  }
}
