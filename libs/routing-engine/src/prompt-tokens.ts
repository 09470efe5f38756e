// How a scoring worker counts a prompt's tokens: exactly (cl100k) where the count can decide
// something, estimated elsewhere. A prompt's UTF-8 length bounds its token count, so a prompt
// whose bound stays at or under the prompt limit, and under the smallest batch bound together
// with its output cap, gets the same admission and batching outcome from any count: the
// estimate (tokenPieces, one pass, no allocation) is enough. Dollar worst cases are counted
// exactly on the main thread, for budgeted requests only (usd.ts).
import { cl100kEstimate, cl100kTokenCounter, tokensMayExceed } from '@switchyard/embedding';

export interface ExactTokenBounds {
  /** router.maxPromptTokens; -1: count every prompt exactly. */
  readonly exactTokensAbove: number;
  /** The smallest maxBatchTokens of the models. */
  readonly exactRequestAbove: number;
}

export function promptTokensOf(prompt: string, outputCap: number, bounds: ExactTokenBounds): number {
  if (bounds.exactTokensAbove < 0) return cl100kTokenCounter(prompt);
  const limit = Math.min(bounds.exactTokensAbove, bounds.exactRequestAbove - outputCap);
  return tokensMayExceed(prompt, limit) ? cl100kTokenCounter(prompt) : cl100kEstimate(prompt);
}
