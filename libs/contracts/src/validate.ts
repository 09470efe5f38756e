// Semantic validation of decoded events. Avro guarantees types; these rules are what the
// router needs beyond types (non-empty ids, finite vectors of the right size, limits). Every
// failure maps to one dead-letter reason so the router can dead-letter without interpretation.
import { z } from 'zod';
import type { DeadLetterReason } from './reasons.ts';
import { acceptRequestFast } from './request-fast-path.ts';
import { EMBEDDING_MIN_LENGTH, INT32_MAX, allowedModelsList, epochMillisRule, hasInput, maxOutputTokensRule, metadataMap, priorityRule, promptText, promptTokensRule, wellFormedText } from './request-rules.ts';
import type { OutcomeV2, RequestV3 } from './types.ts';

export type ValidationResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: DeadLetterReason; readonly detail: string };

const MAX_ID_CHARS = 256;
const MAX_REROUTE_ENTRIES = 256;

const id = wellFormedText
  .pipe(z.string().min(1, 'must not be empty').max(MAX_ID_CHARS, `must be at most ${MAX_ID_CHARS} characters`))
  // Ids are stored in Postgres text columns, which cannot hold NUL.
  .refine((s) => !s.includes('\u0000'), 'must not contain NUL (U+0000)');
const nonNegInt = z.number().int().min(0).max(INT32_MAX);
const epochMillis = epochMillisRule;
// zod's z.number() rejects NaN and Infinity, which must surface as nan_embedding instead of
// invalid_field; a custom check also avoids copying vectors of thousands of floats.
const vector = z
  .custom<readonly number[]>((v) => Array.isArray(v) && v.every((x) => typeof x === 'number'), 'must be an array of numbers')
  .refine((v) => v.length >= EMBEDDING_MIN_LENGTH, 'must not be empty');

export const requestShape = z.object({
  requestId: id,
  jobId: id,
  tenant: id,
  prompt: promptText.nullable(),
  embedding: vector.nullable(),
  promptTokens: promptTokensRule.nullable(),
  maxOutputTokens: maxOutputTokensRule,
  priority: priorityRule,
  deadline: epochMillis.nullable(),
  // An empty list is refused too, as unknown_model below (no configured model is allowed).
  allowedModels: allowedModelsList.element.array().nullable(),
  metadata: metadataMap,
  submittedAt: epochMillis,
  // v2 fields; absent in v1 records and native requests. Listed here because zod strips keys
  // it does not know, and the router must pass them on to the routed batch.
  customId: id.nullable().default(null),
  body: wellFormedText.nullable().default(null),
  // v3 fields: the models a request failed on permanently (set by executors handing it back).
  // Bounded: router.maxModelAttempts is far below it, and a record cannot grow without end.
  excludedModels: z.array(z.string()).max(MAX_REROUTE_ENTRIES).default([]),
  failedAttempts: z
    .array(
      z.object({
        model: z.string(),
        reason: z.string(),
        statusCode: z.number().int().nullable(),
        detail: z.string().nullable(),
        batchId: z.string().nullable(),
        failedAt: epochMillis,
      }),
    )
    .max(MAX_REROUTE_ENTRIES)
    .default([]),
});

export const outcomeShape = z.object({
  requestId: id,
  jobId: id,
  tenant: id.nullable(),
  model: z.string().min(1),
  batchId: id,
  quality: z.number().min(0).max(1).nullable(),
  success: z.boolean().nullable(),
  promptTokens: nonNegInt,
  completionTokens: nonNegInt,
  latencyMs: z.number().int().min(0),
  error: z.string().nullable(),
  costUsd: z.number().min(0).nullable(),
  completedAt: epochMillis,
  customId: id.nullable().default(null),
  statusCode: z.number().int().min(100).max(599).nullable().default(null),
  response: wellFormedText.nullable().default(null),
});

export interface RequestLimits {
  /** Expected embedding length; null accepts any length (the router then has no index yet). */
  readonly embeddingDim: number | null;
  /** Upper bound on prompt length in UTF-16 code units (JavaScript string length). */
  readonly maxPromptChars: number;
  /** Upper bound on promptTokens when the submitter supplied it. */
  readonly maxPromptTokens: number;
  /** Configured model names; allowedModels must name at least one of them. */
  readonly knownModels: readonly string[];
}

export interface RequestValidator {
  /** `nowMs` is passed in (not read from a clock) so validation stays pure and replayable. */
  (event: unknown, nowMs: number): ValidationResult<RequestV3>;
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid';
  const path = issue.path.length > 0 ? issue.path.join('.') : '<root>';
  return `${path}: ${issue.message} (${issue.code})`;
}

export function createRequestValidator(limits: RequestLimits): RequestValidator {
  const known: ReadonlySet<string> = new Set(limits.knownModels);
  return (event, nowMs) => {
    const fast = acceptRequestFast(event);
    const parsed = fast === null ? requestShape.safeParse(event) : null;
    if (parsed !== null && !parsed.success) {
      return { ok: false, reason: 'invalid_field', detail: firstIssue(parsed.error) };
    }
    const r = fast ?? parsed!.data!;
    if (!hasInput(r)) {
      return { ok: false, reason: 'missing_input', detail: 'neither prompt nor embedding is present' };
    }
    if (r.embedding !== null) {
      const bad = r.embedding.findIndex((x) => !Number.isFinite(x));
      if (bad >= 0) {
        return { ok: false, reason: 'nan_embedding', detail: `embedding[${bad}] is ${String(r.embedding[bad])}` };
      }
      if (limits.embeddingDim !== null && r.embedding.length !== limits.embeddingDim) {
        return { ok: false, reason: 'wrong_dimension', detail: `embedding has ${r.embedding.length} components, expected ${limits.embeddingDim}` };
      }
    }
    if (r.prompt !== null && r.prompt.length > limits.maxPromptChars) {
      return { ok: false, reason: 'oversized_prompt', detail: `prompt has ${r.prompt.length} chars, limit ${limits.maxPromptChars}` };
    }
    if (r.promptTokens !== null && r.promptTokens > limits.maxPromptTokens) {
      return { ok: false, reason: 'oversized_prompt', detail: `promptTokens ${r.promptTokens} above limit ${limits.maxPromptTokens}` };
    }
    if (r.allowedModels !== null && !r.allowedModels.some((m) => known.has(m))) {
      return { ok: false, reason: 'unknown_model', detail: `none of allowedModels [${r.allowedModels.slice(0, 10).join(', ')}] is configured` };
    }
    if (r.deadline !== null && r.deadline <= nowMs) {
      return { ok: false, reason: 'deadline_passed', detail: `deadline ${r.deadline} <= now ${nowMs}` };
    }
    return { ok: true, value: r };
  };
}

export interface OutcomeLimits {
  readonly knownModels: readonly string[];
}

export function createOutcomeValidator(limits: OutcomeLimits): (event: unknown) => ValidationResult<OutcomeV2> {
  const known: ReadonlySet<string> = new Set(limits.knownModels);
  return (event) => {
    const parsed = outcomeShape.safeParse(event);
    if (!parsed.success) {
      return { ok: false, reason: 'invalid_field', detail: firstIssue(parsed.error) };
    }
    if (!known.has(parsed.data.model)) {
      return { ok: false, reason: 'unknown_model', detail: `model ${parsed.data.model} is not configured` };
    }
    return { ok: true, value: parsed.data };
  };
}
