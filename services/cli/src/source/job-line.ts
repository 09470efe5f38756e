// One line of a bulk job, as a submitter writes it (JSONL object, CSV row, Parquet row), and
// its validation. Every input format is normalised to the same plain object first, so a line
// is accepted or refused by one schema whatever file it came from. Unknown fields are refused
// (`strict`): a mistyped field name would otherwise be silently dropped from a million requests.
// The rules for each field's content are the router's too (@switchyard/contracts request-rules).
import { z } from 'zod';
import { EMBEDDING_MIN_LENGTH, allowedModelsList, epochMillisRule, hasInput, maxOutputTokensRule, metadataMap, priorityRule, promptText, promptTokensRule } from '@switchyard/contracts';

const deadline = z.union([
  epochMillisRule,
  z.iso.datetime({ offset: true }).transform((s) => Date.parse(s)),
]);

export const jobLineSchema = z
  .object({
    /** The submitter's own id for the line; kept in metadata as `sourceId` (request ids come from the job and line). */
    id: z.union([z.string().min(1).max(256), z.number().int()]).optional(),
    prompt: promptText.optional(),
    embedding: z.array(z.number().refine(Number.isFinite, 'must be finite')).min(EMBEDDING_MIN_LENGTH, 'must not be empty').optional(),
    promptTokens: promptTokensRule.optional(),
    maxOutputTokens: maxOutputTokensRule.optional(),
    priority: priorityRule.optional(),
    deadline: deadline.optional(),
    allowedModels: allowedModelsList.optional(),
    metadata: metadataMap.optional(),
  })
  .strict()
  .refine(hasInput, { message: 'needs a prompt or an embedding', path: ['prompt'] });

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
