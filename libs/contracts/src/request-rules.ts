// The one rule for the content of a request, shared by every entry point: `switchyard submit`
// (job lines, services/cli source/job-line.ts) and the router's validator (validate.ts, used by
// the router service and by file mode). Each entry point keeps only what is its own: submit
// its input format (optional fields, ISO deadlines, refusing unknown fields), the router its
// configured limits (embedding dimension, prompt size, models) and the dead-letter reasons.
// Before this module the two disagreed: an empty or whitespace-only prompt was refused by
// submit and routed by the router.
import { z } from 'zod';

export const INT32_MAX = 2_147_483_647;

/** A lone UTF-16 surrogate cannot be encoded as UTF-8 (Avro strings are UTF-8). */
const loneSurrogate = /\p{Cs}/u;

/** True when the string holds a lone UTF-16 surrogate, which Avro (UTF-8) cannot carry. */
export function hasLoneSurrogate(s: string): boolean {
  return loneSurrogate.test(s);
}

export const wellFormedText = z.string().refine((s) => !hasLoneSurrogate(s), 'must be well-formed Unicode (no lone surrogates)');

const NOT_BLANK = /\S/;

/** A prompt that is empty or only whitespace (String.prototype.trim's set: Unicode spaces, line terminators, BOM) carries nothing to route. */
export function isBlankPrompt(prompt: string): boolean {
  // \S is the complement of trim's set (WhiteSpace and LineTerminator in both), and the test
  // stops at the first such character instead of copying the prompt.
  return !NOT_BLANK.test(prompt);
}

export const promptText = wellFormedText.refine((s) => !isBlankPrompt(s), 'must not be empty or whitespace only');

/** Embedding values are checked for finiteness by each side (the router dead-letters NaN as nan_embedding). */
export const EMBEDDING_MIN_LENGTH = 1;

export const allowedModelsList = z.array(z.string().min(1, 'must not be empty')).min(1, 'must name at least one model');

export const maxOutputTokensRule = z.number().int().min(1).max(INT32_MAX);
export const priorityRule = z.number().int().min(-INT32_MAX - 1).max(INT32_MAX);
export const promptTokensRule = z.number().int().min(0).max(INT32_MAX);
export const epochMillisRule = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
export const metadataMap = z.record(z.string(), wellFormedText);

/** A request needs something to route on: a prompt, an embedding, or both. */
export function hasInput(request: { readonly prompt?: string | null | undefined; readonly embedding?: readonly number[] | null | undefined }): boolean {
  return (request.prompt ?? null) !== null || (request.embedding ?? null) !== null;
}
