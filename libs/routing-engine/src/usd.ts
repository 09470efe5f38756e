// What the dollar gate is asked about a slice, and what decide does with its answers. The gate
// itself (a Postgres ledger in the router, an in-memory one in file mode) lives with the shell:
// the engine only names each admitted request's candidates and obeys the verdicts.
import { cl100kTokenCounter } from '@switchyard/embedding';
import { rankModels } from '@switchyard/routing-core';
import type { EngineParts } from './parts.ts';
import { pricedCostsUsd } from './usd-pacing.ts';
import type { PreparedSlice } from './slice.ts';

/** A request of the slice as the dollar gate sees it. */
export interface UsdAsk {
  readonly requestId: string;
  readonly jobId: string;
  readonly tenant: string;
  readonly promptTokens: number;
  readonly maxOutputTokens: number;
  /** Allowed models that can take the request (maxBatchTokens), best scored first. */
  readonly ranked: readonly string[];
  /** The request's estimated cost on each ranked model (pricedCostsUsd), for a gate that predicts rather than enforces (plan). */
  readonly estimatedUsd?: readonly number[];
}

export type UsdRefusal = 'budget_usd_exhausted' | 'budget_usd_too_small' | 'budget_usd_unpriced_models';

/** The gate's answer for one request, as decide applies it; a request absent from the map has no dollar budget. */
export type UsdRouting =
  /** A worst case is reserved for `model`: the request may go there and nowhere else. */
  | { readonly kind: 'route'; readonly model: string }
  | { readonly kind: 'defer'; readonly reason: 'budget_usd_exhausted'; readonly detail: string }
  | { readonly kind: 'reject'; readonly reason: UsdRefusal; readonly detail: string }
  /** Already ran and its cost settled (a replay after the outcome came back): no output, no new decision. */
  | { readonly kind: 'skip' };

/**
 * The candidates of each admitted request in the order the workers' scores rank them (the
 * policy's own scores under the slice's price snapshot), so the gate falls back the way the
 * engine would; for a request of a paced job (`paced[i]` not null, usd-pacing.ts), in the
 * order of those scores less its job's dollar price.
 */
export function usdAsksOf(p: EngineParts, prepared: PreparedSlice, paced: readonly (Float64Array | null)[] = []): UsdAsk[] {
  const models = p.config.models;
  return prepared.admitted.map((s, i) => {
    const allowed = s.request.allowedModels === null ? null : new Set(s.request.allowedModels);
    const order = Array.from(rankModels(paced[i] ?? s.kernelScores)).filter((m) => {
      const model = models[m]!;
      if (allowed !== null && !allowed.has(model.name)) return false;
      return s.estimatedTokens[m]! <= model.maxBatchTokens;
    });
    const cost = pricedCostsUsd(models, s);
    let exact: number | undefined;
    return {
      requestId: s.request.requestId,
      jobId: s.request.jobId,
      tenant: s.request.tenant,
      // The worst case a budget reserves rests on an exact count, even where the workers only
      // estimated the prompt's tokens; counted on first read, so unbudgeted requests pay nothing.
      get promptTokens(): number {
        exact ??= s.request.promptTokens ?? cl100kTokenCounter(s.request.prompt ?? '');
        return exact;
      },
      maxOutputTokens: s.request.maxOutputTokens,
      ranked: order.map((m) => models[m]!.name),
      estimatedUsd: order.map((m) => cost[m]!),
    };
  });
}
