// One place that turns token usage into dollars, so the router's reservations, the executors'
// reported costs and the quote agree on the arithmetic. Prices are per 1,000 tokens in the
// model config (`costPer1kPromptTokensUsd`, `costPer1kCompletionTokensUsd`).

export interface ModelPrice {
  readonly costPer1kPromptTokensUsd?: number | undefined;
  readonly costPer1kCompletionTokensUsd?: number | undefined;
}

export interface TokenUsage {
  readonly promptTokens: number;
  readonly completionTokens: number;
}

/** True when the model has both prices, so a dollar cost can be computed for it. */
export function hasPrice(price: ModelPrice): boolean {
  return price.costPer1kPromptTokensUsd !== undefined && price.costPer1kCompletionTokensUsd !== undefined;
}

/** Dollars for `usage` at `price`; a missing price counts as 0 (callers that must not guess check `hasPrice`). */
export function costUsd(price: ModelPrice, usage: TokenUsage): number {
  return (usage.promptTokens * (price.costPer1kPromptTokensUsd ?? 0) + usage.completionTokens * (price.costPer1kCompletionTokensUsd ?? 0)) / 1000;
}
