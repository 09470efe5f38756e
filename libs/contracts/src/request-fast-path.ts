// The router validates every request it reads; zod's safeParse of the request shape (a copy of
// the object, refinements, a trimmed copy of the prompt) was a large part of the router's
// per-request CPU. This is the same shape checked by hand for the common case: it only ever
// ACCEPTS, and only a request zod accepts too, with the value zod would return. Anything it is
// not sure about (a failure, a missing v2 field, an unknown key) goes to zod, which decides and
// words the error.
import { INT32_MAX, hasLoneSurrogate, isBlankPrompt } from './request-rules.ts';
import type { RequestV3 } from './types.ts';

const MAX_ID_CHARS = 256;
const KEYS = new Set(['requestId', 'jobId', 'tenant', 'prompt', 'embedding', 'promptTokens', 'maxOutputTokens', 'priority', 'deadline', 'allowedModels', 'metadata', 'submittedAt', 'customId', 'body', 'excludedModels', 'failedAttempts']);

const isId = (v: unknown): v is string => typeof v === 'string' && v.length >= 1 && v.length <= MAX_ID_CHARS && !v.includes('\u0000') && !hasLoneSurrogate(v);
const isText = (v: unknown): v is string => typeof v === 'string' && !hasLoneSurrogate(v);
const isIntIn = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max;
// A request handed back after a model failed carries entries here: zod checks those (rare).
const isEmptyOrAbsent = (v: unknown): boolean => v === undefined || (Array.isArray(v) && v.length === 0);
const orNull = <T>(v: unknown, check: (x: unknown) => x is T): boolean => v === null || check(v);

function isVector(v: unknown): v is readonly number[] {
  if (!Array.isArray(v) || v.length < 1) return false;
  for (const x of v) if (typeof x !== 'number') return false;
  return true;
}

function isModelList(v: unknown): v is readonly string[] {
  if (!Array.isArray(v) || v.length < 1) return false;
  for (const x of v) if (typeof x !== 'string' || x.length < 1) return false;
  return true;
}

function isTextMap(v: unknown): v is Record<string, string> {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || Object.getPrototypeOf(v) !== Object.prototype) return false;
  for (const k of Object.keys(v)) if (!isText((v as Record<string, unknown>)[k])) return false;
  return true;
}

/** Own enumerable keys only: a decoded Avro record's prototype carries avsc's methods. */
function onlyKnownKeys(o: object): boolean {
  for (const k of Object.keys(o)) if (!KEYS.has(k)) return false;
  return true;
}

/** The request as zod's requestShape would return it, or null: let zod decide. */
export function acceptRequestFast(event: unknown): RequestV3 | null {
  if (typeof event !== 'object' || event === null || Array.isArray(event) || !onlyKnownKeys(event)) return null;
  const r = event as Record<string, unknown>;
  const prompt = r.prompt;
  const ok =
    isId(r.requestId) &&
    isId(r.jobId) &&
    isId(r.tenant) &&
    (prompt === null || (isText(prompt) && !isBlankPrompt(prompt))) &&
    orNull(r.embedding, isVector) &&
    (r.promptTokens === null || isIntIn(r.promptTokens, 0, INT32_MAX)) &&
    isIntIn(r.maxOutputTokens, 1, INT32_MAX) &&
    isIntIn(r.priority, -INT32_MAX - 1, INT32_MAX) &&
    (r.deadline === null || isIntIn(r.deadline, 0, Number.MAX_SAFE_INTEGER)) &&
    orNull(r.allowedModels, isModelList) &&
    isTextMap(r.metadata) &&
    isIntIn(r.submittedAt, 0, Number.MAX_SAFE_INTEGER) &&
    orNull(r.customId, isId) &&
    orNull(r.body, isText) &&
    isEmptyOrAbsent(r.excludedModels) &&
    isEmptyOrAbsent(r.failedAttempts);
  if (!ok) return null;
  return {
    requestId: r.requestId as string,
    jobId: r.jobId as string,
    tenant: r.tenant as string,
    prompt: prompt as string | null,
    embedding: r.embedding as number[] | null,
    promptTokens: r.promptTokens as number | null,
    maxOutputTokens: r.maxOutputTokens as number,
    priority: r.priority as number,
    deadline: r.deadline as number | null,
    allowedModels: r.allowedModels as string[] | null,
    metadata: r.metadata as Record<string, string>,
    submittedAt: r.submittedAt as number,
    customId: r.customId as string | null,
    body: r.body as string | null,
    excludedModels: [],
    failedAttempts: [],
  };
}
