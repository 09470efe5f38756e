// One place that turns token usage into dollars, so the router's reservations, the executors'
// reported costs and the quote agree on the arithmetic. Prices are per 1,000 tokens in the
// model config (`costPer1kPromptTokensUsd`, `costPer1kCompletionTokensUsd`); a model may also
// have batch-mode prices (`batchCostPer1k...`, providers' batch APIs are typically half price),
// which apply to usage executed in batch mode and fall back to the standard price when unset.

export type PriceMode = 'standard' | 'batch';

export interface ModelPrice {
  readonly costPer1kPromptTokensUsd?: number | undefined;
  readonly costPer1kCompletionTokensUsd?: number | undefined;
  readonly batchCostPer1kPromptTokensUsd?: number | undefined;
  readonly batchCostPer1kCompletionTokensUsd?: number | undefined;
}

export interface TokenUsage {
  readonly promptTokens: number;
  readonly completionTokens: number;
}

/** True when the model has both prices, so a dollar cost can be computed for it. */
export function hasPrice(price: ModelPrice): boolean {
  return price.costPer1kPromptTokensUsd !== undefined && price.costPer1kCompletionTokensUsd !== undefined;
}

function perK(price: ModelPrice, mode: PriceMode): { prompt: number; completion: number } {
  const prompt = price.costPer1kPromptTokensUsd ?? 0;
  const completion = price.costPer1kCompletionTokensUsd ?? 0;
  if (mode === 'standard') return { prompt, completion };
  return { prompt: price.batchCostPer1kPromptTokensUsd ?? prompt, completion: price.batchCostPer1kCompletionTokensUsd ?? completion };
}

/** Dollars for `usage` at `price`; a missing price counts as 0 (callers that must not guess check `hasPrice`). */
export function costUsd(price: ModelPrice, usage: TokenUsage, mode: PriceMode = 'standard'): number {
  const p = perK(price, mode);
  return (usage.promptTokens * p.prompt + usage.completionTokens * p.completion) / 1000;
}

/**
 * The most a request can cost: its prompt at the input price plus its max output tokens at the
 * output price. What a dollar budget reserves before the request runs. The greater of the
 * standard and batch price is used, so a reservation holds whichever mode the executor runs.
 */
export function worstCaseCostUsd(price: ModelPrice, promptTokens: number, maxOutputTokens: number): number {
  const usage = { promptTokens, completionTokens: maxOutputTokens };
  return Math.max(costUsd(price, usage, 'standard'), costUsd(price, usage, 'batch'));
}
