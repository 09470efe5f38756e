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

/**
 * cl100k tokens per pre-token piece: the sum of exact counts over the sum of `tokenPieces` on
 * the RouterBench subset's history split (2,225 prompts; 0.963). On its test split, not used to
 * fit it, the estimate's error is within -4% .. +2% for 80% of prompts and -13% .. +2% for 98%.
 */
export const CL100K_TOKENS_PER_PIECE = 0.963;

/**
 * Pieces as cl100k's pre-tokenizer splits text, approximately: a run of letters (with the one
 * character before it), up to three digits, each other ASCII symbol, each non-ASCII code unit.
 * Whitespace joins the next piece. One pass over the char codes, no allocation.
 */
export function tokenPieces(text: string): number {
  let pieces = 0;
  let prev = 0; // 0 start, 1 letter, 2 digit, 3 symbol or space
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90)) {
      if (prev !== 1) pieces += 1;
      prev = 1;
    } else if (c >= 48 && c <= 57) {
      if (prev !== 2 || digits === 3) {
        pieces += 1;
        digits = 0;
      }
      digits += 1;
      prev = 2;
    } else {
      if (c !== 32) pieces += 1;
      prev = 3;
    }
    if (prev !== 2) digits = 0;
  }
  return pieces;
}

/** A cheap cl100k estimate (see CL100K_TOKENS_PER_PIECE); 0 for empty text, else at least 1. */
export const cl100kEstimate: TokenCounter = (text) => (text.length === 0 ? 0 : Math.max(1, Math.round(tokenPieces(text) * CL100K_TOKENS_PER_PIECE)));

/**
 * A bound no BPE count over UTF-8 can exceed: every token is at least one byte. `text.length * 3`
 * is checked first (no UTF-16 code unit takes more than 3 UTF-8 bytes), so a short prompt costs
 * nothing; the exact byte length only when that first bound is above `limit`.
 */
export function tokensMayExceed(text: string, limit: number): boolean {
  if (text.length * 3 <= limit) return false;
  return Buffer.byteLength(text, 'utf8') > limit;
}
