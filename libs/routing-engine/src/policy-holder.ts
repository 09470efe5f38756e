// The routing policy the router asks for scores and a first choice. Dual-price policies (PORT,
// resolving-dual) plan a budget over a stream; in the router that stream is one UTC day of requests, so
// the policy is rebuilt at each day boundary with that day's budgets.
import { createPolicy, loadHighsSolver, parsePolicyConfig } from '@switchyard/routing-core';
import type { LpSolver, PolicyConfig, RoutingPolicy } from '@switchyard/routing-core';
import type { SwitchyardConfig } from '@switchyard/config';

const DAY_MS = 86_400_000;

export interface PolicyHolder {
  readonly name: string;
  /** The policy for the day containing `nowMs`. */
  current(nowMs: number): Promise<RoutingPolicy>;
}

/**
 * Per-model day budgets in the policy's cost unit (USD, the unit of the reference costs the
 * policies were designed on): day tokens x the model's mean USD per token in the reference set.
 * Models without cost data borrow the mean rate of the others.
 */
export function policyBudgetsUsd(models: SwitchyardConfig['models'], usdPerToken: readonly number[]): Float64Array {
  const known = usdPerToken.filter((v) => Number.isFinite(v) && v > 0);
  const fallback = known.length > 0 ? known.reduce((a, b) => a + b, 0) / known.length : 1e-6;
  return Float64Array.from(models, (m, i) => {
    const dayTokens = m.tokensPerDay ?? m.tokensPerMinute * 1_440;
    const rate = usdPerToken[i];
    return dayTokens * (rate !== undefined && Number.isFinite(rate) && rate > 0 ? rate : fallback);
  });
}

export async function createPolicyHolder(
  policyInput: unknown,
  budgetsUsd: Float64Array,
  streamLength: number,
  options: { readonly minResolveIntervalMs?: number; readonly clock?: () => number } = {},
): Promise<PolicyHolder> {
  const { minResolveIntervalMs = 0, clock = Date.now } = options;
  // The service's re-solve interval applies to resolving-dual unless its own config sets one.
  const input = isOurs(policyInput) ? { minResolveIntervalMs, ...policyInput } : policyInput;
  const config: PolicyConfig = parsePolicyConfig(input);
  const needsSolver = config.policy === 'port' || config.policy === 'resolving-dual';
  const solver: LpSolver | undefined = needsSolver ? await loadHighsSolver() : undefined;
  let day = Number.NaN;
  let policy: RoutingPolicy | null = null;
  return {
    name: config.policy,
    async current(nowMs: number): Promise<RoutingPolicy> {
      const today = Math.floor(nowMs / DAY_MS);
      if (policy === null || today !== day) {
        policy = await createPolicy(config, { budgets: budgetsUsd, streamLength, clock, ...(solver !== undefined ? { solver } : {}) });
        day = today;
      }
      return policy;
    },
  };
}

function isOurs(input: unknown): input is Record<string, unknown> {
  return typeof input === 'object' && input !== null && (input as { policy?: unknown }).policy === 'resolving-dual';
}
