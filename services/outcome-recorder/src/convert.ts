// Pure mapping from a decoded, validated Outcome event to the row the store writes: the
// segment from its header, and the cost derived from configured prices when the executor did
// not report one.
import type { OutcomeV2 } from '@switchyard/contracts';
import type { ModelConfig } from '@switchyard/config';
import type { OutcomeRecord } from '@switchyard/store';
import { isValidSegment } from '@switchyard/store';
import { SEGMENT_HEADER } from '@switchyard/executor-kit';

export type HeaderValue = Buffer | string | (Buffer | string)[] | undefined;

/** The segment header's value when it is a usable segment; null otherwise (statistics then count per model only). */
export function segmentFromHeaders(headers: Readonly<Record<string, HeaderValue>> | undefined): string | null {
  const raw = headers?.[SEGMENT_HEADER];
  const first = Array.isArray(raw) ? raw[0] : raw;
  if (first === undefined) return null;
  const text = typeof first === 'string' ? first : first.toString('utf8');
  return isValidSegment(text) ? text : null;
}

/** USD from tokens and the model's configured prices; null unless both prices are configured. */
export function derivedCostUsd(model: Pick<ModelConfig, 'costPer1kPromptTokensUsd' | 'costPer1kCompletionTokensUsd'> | undefined, promptTokens: number, completionTokens: number): number | null {
  const p = model?.costPer1kPromptTokensUsd;
  const c = model?.costPer1kCompletionTokensUsd;
  if (p === undefined || c === undefined) return null;
  return (promptTokens * p + completionTokens * c) / 1_000;
}

export function toOutcomeRecord(
  outcome: OutcomeV2,
  segment: string | null,
  model: Pick<ModelConfig, 'costPer1kPromptTokensUsd' | 'costPer1kCompletionTokensUsd'> | undefined,
  source: { readonly topic: string; readonly partition: number; readonly offset: string },
): OutcomeRecord {
  const derived = outcome.costUsd === null ? derivedCostUsd(model, outcome.promptTokens, outcome.completionTokens) : null;
  return {
    requestId: outcome.requestId,
    jobId: outcome.jobId,
    tenant: outcome.tenant,
    model: outcome.model,
    batchId: outcome.batchId,
    segment,
    quality: outcome.quality,
    success: outcome.success,
    promptTokens: outcome.promptTokens,
    completionTokens: outcome.completionTokens,
    latencyMs: outcome.latencyMs,
    error: outcome.error,
    costUsd: outcome.costUsd ?? derived,
    costSource: outcome.costUsd !== null ? 'reported' : derived !== null ? 'derived' : null,
    completedAtMs: outcome.completedAt,
    sourceTopic: source.topic,
    sourcePartition: source.partition,
    sourceOffset: source.offset,
    customId: outcome.customId ?? null,
    statusCode: outcome.statusCode ?? null,
    response: outcome.response ?? null,
  };
}
