// Prompt token counting lives beside the embedder: both turn a prompt into what the router
// estimates with, in the scoring workers and when data sets are loaded.
import { countTokens as countCl100k } from 'gpt-tokenizer/encoding/cl100k_base';

/**
 * Token counter. cl100k_base is the tokenizer of gpt-3.5-turbo and gpt-4, the generation of
 * models RouterBench evaluated; for the other vendors' models it is an approximation (their own
 * tokenizers differ by roughly +-20% on English text), which is good enough to size batches.
 */
export type TokenCounter = (text: string) => number;

export const cl100kTokenCounter: TokenCounter = (text) => (text.length === 0 ? 0 : countCl100k(text));

/** Four characters per token, the usual rule of thumb for English BPE vocabularies. */
export const charEstimateTokenCounter: TokenCounter = (text) => Math.ceil(text.length / 4);

export function tokenCounterFor(countTokens: boolean | undefined): TokenCounter {
  return countTokens === false ? charEstimateTokenCounter : cl100kTokenCounter;
}
