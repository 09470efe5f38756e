// The quote of a job before it runs: predicted cost, predicted quality, the model mix, the same
// for each model alone, and when it would finish under the models' token rate limits. Pure:
// the caller passes the per-request estimates (the routing engine's k-NN estimates, costs in
// USD) and which model the engine chose for each request; `quoteJob` only adds up.
//
// Quality is PORT's performance measure (arXiv 2509.02718, Sec. 5.1): the mean over ALL of the
// job's requests of the estimated quality of the model each one goes to, a request that is not
// routed (over budget) counting 0, so a mix that leaves requests out cannot look better than
// one that serves them. Finish time: models run in parallel, each at its token rate limits, so
// the job finishes when the busiest model has pushed its tokens through its minute windows (and
// day windows, when it has a daily limit).

export interface QuoteModel {
  readonly name: string;
  readonly tokensPerMinute: number;
  readonly tokensPerDay?: number | undefined;
}

export interface QuoteEstimate {
  readonly quality: ArrayLike<number>;
  readonly costUsd: ArrayLike<number>;
  /** Estimated prompt + completion tokens per model. */
  readonly tokens: ArrayLike<number>;
}

export interface QuoteInput {
  readonly models: readonly QuoteModel[];
  readonly estimates: readonly QuoteEstimate[];
  /** Model index chosen per request; null when the request would not be routed. */
  readonly chosen: readonly (number | null)[];
  readonly budgetUsd: number | null;
  /** Seconds from now to the deadline; null for none. */
  readonly deadlineSeconds: number | null;
}

export interface QuoteLine {
  readonly name: string;
  readonly requests: number;
  readonly predictedCostUsd: number;
  readonly predictedQuality: number;
  readonly finishSeconds: number;
}

export interface SingleModelQuote extends QuoteLine {
  /** Requests this model alone serves before the budget is spent, in job order. */
  readonly requestsWithinBudget: number;
  readonly fitsBudget: boolean;
}

export interface Quote {
  readonly requests: number;
  readonly routed: number;
  readonly notRouted: number;
  readonly budgetUsd: number | null;
  readonly predictedCostUsd: number;
  readonly predictedQuality: number;
  readonly finishSeconds: number;
  readonly meetsDeadline: boolean | null;
  readonly models: readonly QuoteLine[];
  readonly singleModel: readonly SingleModelQuote[];
}

/** Seconds to push `tokens` through a minute limit (and a day limit when given). */
export function finishSecondsFor(tokens: number, m: QuoteModel): number {
  if (tokens <= 0) return 0;
  const perMinute = m.tokensPerMinute;
  if (m.tokensPerDay === undefined || tokens <= m.tokensPerDay) return (tokens / perMinute) * 60;
  const fullDays = Math.floor(tokens / m.tokensPerDay);
  const rest = tokens - fullDays * m.tokensPerDay;
  return rest > 0 ? fullDays * 86_400 + (rest / perMinute) * 60 : (fullDays - 1) * 86_400 + (m.tokensPerDay / perMinute) * 60;
}

export function quoteJob(input: QuoteInput): Quote {
  const M = input.models.length;
  const n = input.estimates.length;
  if (input.chosen.length !== n) throw new RangeError(`chosen has ${input.chosen.length} entries for ${n} requests`);
  const req = new Float64Array(M);
  const cost = new Float64Array(M);
  const qual = new Float64Array(M);
  const tok = new Float64Array(M);
  let routed = 0;
  input.chosen.forEach((m, j) => {
    if (m === null) return;
    if (!(m >= 0 && m < M)) throw new RangeError(`request ${j} chose model ${m} of ${M}`);
    const e = input.estimates[j]!;
    routed++;
    req[m]! += 1;
    cost[m]! += e.costUsd[m]!;
    qual[m]! += e.quality[m]!;
    tok[m]! += e.tokens[m]!;
  });
  const models = input.models.map((model, m) => ({
    name: model.name,
    requests: req[m]!,
    predictedCostUsd: cost[m]!,
    predictedQuality: n > 0 ? qual[m]! / n : 0,
    finishSeconds: finishSecondsFor(tok[m]!, model),
  }));
  const singleModel = input.models.map((model, m) => singleModelQuote(input, model, m));
  const finishSeconds = models.reduce((a, l) => Math.max(a, l.finishSeconds), 0);
  return {
    requests: n,
    routed,
    notRouted: n - routed,
    budgetUsd: input.budgetUsd,
    predictedCostUsd: models.reduce((a, l) => a + l.predictedCostUsd, 0),
    predictedQuality: models.reduce((a, l) => a + l.predictedQuality, 0),
    finishSeconds,
    meetsDeadline: input.deadlineSeconds === null ? null : finishSeconds <= input.deadlineSeconds,
    models,
    singleModel,
  };
}

function singleModelQuote(input: QuoteInput, model: QuoteModel, m: number): SingleModelQuote {
  const n = input.estimates.length;
  let c = 0;
  let q = 0;
  let t = 0;
  let within = 0;
  let full = 0;
  for (const e of input.estimates) {
    full += e.costUsd[m]!;
    if (input.budgetUsd !== null && c + e.costUsd[m]! > input.budgetUsd) continue;
    c += e.costUsd[m]!;
    q += e.quality[m]!;
    t += e.tokens[m]!;
    within++;
  }
  return {
    name: model.name,
    requests: within,
    predictedCostUsd: c,
    predictedQuality: n > 0 ? q / n : 0,
    finishSeconds: finishSecondsFor(t, model),
    requestsWithinBudget: within,
    fitsBudget: input.budgetUsd === null || full <= input.budgetUsd,
  };
}
