// A line of a provider batch file (OpenAI Batch, Anthropic Message Batches) after validation,
// and what it becomes for the router: a job line whose prompt is the routing text of its
// messages, plus the submitter's custom_id and the original request body, which travel with
// the request (Request v2 `customId`, `body`) so an executor can send the body as written and
// the results can be matched back by custom_id.
import { z } from 'zod';
import type { JobLine } from './job-line.ts';
import { hasLoneSurrogate } from '@switchyard/contracts';

/** Provider batch formats; the names are also the `bodyFormat` metadata an executor reads. */
export type ProviderFormat = 'openai' | 'anthropic';

/** `metadata.bodyFormat` value: which API the `body` is written for. */
export const BODY_FORMATS: Readonly<Record<ProviderFormat, string>> = Object.freeze({
  openai: 'openai.chat.completions',
  anthropic: 'anthropic.messages',
});

/** The model name that asks switchyard to choose (also when no model is given). */
export const AUTO_MODEL = 'auto';

export interface ProviderLine {
  readonly customId: string;
  /** The model the line names; null when it asks for routing (`auto` or absent). */
  readonly model: string | null;
  readonly maxOutputTokens: number | undefined;
  readonly prompt: string;
  /** The request body as JSON text (OpenAI `body`, Anthropic `params`). */
  readonly body: string;
}

/** A validated line of any format, ready to become a request. */
export interface CheckedLine {
  readonly line: JobLine;
  readonly customId?: string;
  readonly body?: string;
}

export type ProviderCheck = { readonly ok: true; readonly line: ProviderLine } | { readonly ok: false; readonly error: string };

const INT32_MAX = 2_147_483_647;

export function required(what: string): { error: (iss: { input: unknown }) => string } {
  return { error: (iss) => (iss.input === undefined ? 'is required' : `must be ${what}`) };
}

/** A token limit the API requires (Anthropic's max_tokens): a whole number from 1. */
export const requiredTokenLimit = z
  .number(required('a whole number of tokens'))
  .int('must be a whole number of tokens')
  .min(1, 'must be at least 1')
  .max(INT32_MAX, `must be at most ${INT32_MAX}`);

/** An optional token limit (OpenAI's); `null` means not set, as the OpenAI API reads it. */
export const tokenLimit = requiredTokenLimit.nullable().optional();

export const modelName = z.string(required('a model name or "auto"')).min(1, 'must not be empty (use "auto" to let switchyard choose)').optional();

export function wellFormed(s: string): boolean {
  return !hasLoneSurrogate(s);
}

/** `auto` and an absent model are routed; any other name pins the request to that model. */
export function pinnedModel(model: string | undefined): string | null {
  return model === undefined || model === AUTO_MODEL ? null : model;
}

/**
 * The job line of a provider line: a pinned model becomes `allowedModels: [model]`, so the
 * router still applies every budget to it and dead-letters it (`unknown_model`) when the pool
 * has no such model.
 */
export function toCheckedLine(p: ProviderLine, format: ProviderFormat): CheckedLine {
  const line: JobLine = {
    prompt: p.prompt,
    ...(p.maxOutputTokens !== undefined ? { maxOutputTokens: p.maxOutputTokens } : {}),
    ...(p.model !== null ? { allowedModels: [p.model] } : {}),
    metadata: { bodyFormat: BODY_FORMATS[format] },
  };
  return { line, customId: p.customId, body: p.body };
}
