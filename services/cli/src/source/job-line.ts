// One line of a bulk job, as a submitter writes it (JSONL object, CSV row, Parquet row), and
// its validation. Every input format is normalised to the same plain object first, so a line
// is accepted or refused by one schema whatever file it came from. Unknown fields are refused
// (`strict`): a mistyped field name would otherwise be silently dropped from a million requests.
import { z } from 'zod';

const INT32_MAX = 2_147_483_647;
/** A lone UTF-16 surrogate cannot be encoded as UTF-8 (Avro strings are UTF-8). */
const loneSurrogate = /\p{Cs}/u;
const text = z.string().refine((s) => !loneSurrogate.test(s), 'must be well-formed Unicode (no lone surrogates)');

const deadline = z.union([
  z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  z.iso.datetime({ offset: true }).transform((s) => Date.parse(s)),
]);

export const jobLineSchema = z
  .object({
    /** The submitter's own id for the line; kept in metadata as `sourceId` (request ids come from the job and line). */
    id: z.union([z.string().min(1).max(256), z.number().int()]).optional(),
    prompt: text.min(1, 'must not be empty').optional(),
    embedding: z.array(z.number().refine(Number.isFinite, 'must be finite')).min(1).optional(),
    promptTokens: z.number().int().min(0).max(INT32_MAX).optional(),
    maxOutputTokens: z.number().int().min(1).max(INT32_MAX).optional(),
    priority: z.number().int().min(-INT32_MAX - 1).max(INT32_MAX).optional(),
    deadline: deadline.optional(),
    allowedModels: z.array(z.string().min(1)).min(1).optional(),
    metadata: z.record(z.string(), text).optional(),
  })
  .strict()
  .refine((l) => l.prompt !== undefined || l.embedding !== undefined, { message: 'needs a prompt or an embedding', path: ['prompt'] });

export type JobLine = z.output<typeof jobLineSchema>;

export type LineCheck = { readonly ok: true; readonly line: JobLine } | { readonly ok: false; readonly error: string };

/** Validates one normalised line; the error names the field and the rule (first three issues). */
export function checkJobLine(raw: unknown): LineCheck {
  const parsed = jobLineSchema.safeParse(raw);
  if (parsed.success) return { ok: true, line: parsed.data };
  return { ok: false, error: describeIssues(parsed.error) };
}

/** The first three issues of a failed parse, each naming its field path and rule. */
export function describeIssues(error: z.ZodError): string {
  const issues = error.issues.slice(0, 3).map((i) => {
    const path = i.path.map(String).join('.');
    if (i.code === 'unrecognized_keys') return `unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.join(', ')}`;
    return path === '' ? i.message : `${path}: ${i.message}`;
  });
  return issues.join('; ');
}

/** True when the string holds a lone UTF-16 surrogate, which Avro (UTF-8) cannot carry. */
export function hasLoneSurrogate(s: string): boolean {
  return loneSurrogate.test(s);
}
