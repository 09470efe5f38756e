// Pure pieces of submission: job ids, request ids, and the Avro request built from a line.
//
// Request ids are `<jobId>-L<line>`: the same line of the same job always yields the same id,
// so submitting a job again (after a crash, or on purpose) re-sends the same ids, which
// consumers that deduplicate by request id (the decisions table, keyed by request id) fold
// into one. Kafka itself does not deduplicate across producer sessions: the idempotent
// producer only removes duplicates caused by its own retries within one session (KIP-98).
import { createHash } from 'node:crypto';
import type { RequestV2 } from '@switchyard/contracts';
import type { JobLine } from '../source/job-line.ts';

export const JOB_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

export function requestIdFor(jobId: string, lineNo: number): string {
  return `${jobId}-L${lineNo}`;
}

export interface JobIdentity {
  readonly tenant: string;
  /** Resolved absolute path of the source file. */
  readonly path: string;
  readonly sizeBytes: number;
  readonly mtimeMs: number;
}

/**
 * Default job id when none is given: a hash of the tenant and the file's identity (path, size,
 * modification time), so re-running the same command on an unchanged file is the same job and
 * re-sends the same request ids. Editing the file (or another tenant) makes a new job.
 */
export function deriveJobId(identity: JobIdentity): string {
  const h = createHash('sha256')
    .update([identity.tenant, identity.path, String(identity.sizeBytes), String(Math.trunc(identity.mtimeMs))].join('\u0000'))
    .digest('hex');
  return `job-${h.slice(0, 16)}`;
}

export interface RequestDefaults {
  readonly maxOutputTokens: number;
  readonly priority: number;
}

export interface RequestContext {
  readonly jobId: string;
  readonly tenant: string;
  readonly lineNo: number;
  readonly defaults: RequestDefaults;
  readonly submittedAtMs: number;
}

/** A request as submitted (Request v2); the provider fields are always set, null for native lines. */
export type SubmitRequest = RequestV2 & { readonly customId: string | null; readonly body: string | null };

/** What a provider batch line adds to its job line. */
export interface ProviderFields {
  readonly customId?: string | undefined;
  readonly body?: string | undefined;
}

export function toRequest(line: JobLine, ctx: RequestContext, provider: ProviderFields = {}): SubmitRequest {
  const metadata: Record<string, string> = { ...line.metadata };
  if (line.id !== undefined) metadata.sourceId = String(line.id);
  metadata.line = String(ctx.lineNo);
  return {
    requestId: requestIdFor(ctx.jobId, ctx.lineNo),
    jobId: ctx.jobId,
    tenant: ctx.tenant,
    prompt: line.prompt ?? null,
    embedding: line.embedding ?? null,
    promptTokens: line.promptTokens ?? null,
    maxOutputTokens: line.maxOutputTokens ?? ctx.defaults.maxOutputTokens,
    priority: line.priority ?? ctx.defaults.priority,
    deadline: line.deadline ?? null,
    allowedModels: line.allowedModels ?? null,
    metadata,
    submittedAt: ctx.submittedAtMs,
    customId: provider.customId ?? null,
    body: provider.body ?? null,
  };
}
