// A sealed batch becomes one routed-batch message on its model's topic and one "routed"
// decision per request in it.
import type { RoutedBatchV3, RoutedRequestV3 } from '@switchyard/contracts';
import type { PackedBatch } from '@switchyard/routing-core';
import { finiteOr } from './outputs.ts';
import type { SliceOutput } from './outputs.ts';
import type { EngineParts } from './parts.ts';
import type { Scored } from './slice.ts';

export interface RoutedItem {
  readonly scored: Scored;
  readonly model: number;
  readonly fallbackRank: number;
  readonly scores: Float64Array;
  readonly dualPrice: number;
}

export interface BatchContext {
  readonly sliceId: string;
  readonly nowMs: number;
  readonly policyName: string;
}

export function emitBatch(p: EngineParts, out: SliceOutput, batch: PackedBatch<RoutedItem>, ctx: BatchContext): void {
  const m = p.config.models.findIndex((x) => x.name === batch.model);
  // Deterministic from the input slice, so a re-processed slice names its batches the same.
  const batchId = `${ctx.sliceId}-${batch.model}-${batch.sequence}`;
  const requests: RoutedRequestV3[] = batch.items.map(({ value: it, tokens }) => ({
    requestId: it.scored.request.requestId,
    jobId: it.scored.request.jobId,
    tenant: it.scored.request.tenant,
    prompt: it.scored.request.prompt,
    embedding: null,
    promptTokens: it.scored.promptTokens,
    maxOutputTokens: it.scored.request.maxOutputTokens,
    estimatedTokens: tokens,
    predictedQuality: finiteOr(it.scored.quality[m], 0),
    predictedCostUsd: finiteOr(it.scored.costUsd[m], 0),
    score: finiteOr(it.scores[m], 0),
    fallbackRank: it.fallbackRank,
    dualPrice: it.dualPrice,
    priority: it.scored.request.priority,
    deadline: it.scored.request.deadline,
    metadata: it.scored.request.metadata,
    customId: it.scored.request.customId ?? null,
    body: it.scored.request.body ?? null,
    // What the executor needs to hand the request back if this model fails it permanently.
    allowedModels: it.scored.request.allowedModels,
    submittedAt: it.scored.request.submittedAt,
    excludedModels: it.scored.request.excludedModels ?? [],
    failedAttempts: it.scored.request.failedAttempts ?? [],
  }));
  const envelope: RoutedBatchV3 = {
    batchId,
    model: batch.model,
    createdAt: ctx.nowMs,
    routerInstance: p.config.router.instanceId,
    policy: ctx.policyName,
    totalEstimatedTokens: batch.totalTokens,
    requests,
  };
  out.messages.push({ topic: p.config.topics.routedByModel[batch.model]!, key: batchId, value: p.routedSerdeFor(batch.model).encode(envelope) });
  out.stats.routedByModel.set(batch.model, (out.stats.routedByModel.get(batch.model) ?? 0) + batch.items.length);
  out.stats.batches.push({ model: batch.model, requests: batch.items.length, tokens: batch.totalTokens });
  for (const { value: it, tokens } of batch.items) out.decisions.push(routedDecision(p, it, tokens, m, batch.model, batchId, ctx));
}

function routedDecision(p: EngineParts, it: RoutedItem, tokens: number, m: number, model: string, batchId: string, ctx: BatchContext) {
  const s = it.scored;
  return {
    requestId: s.request.requestId,
    jobId: s.request.jobId,
    tenant: s.request.tenant,
    outcome: 'routed' as const,
    model,
    batchId,
    fallbackRank: it.fallbackRank,
    promptTokens: s.promptTokens,
    estimatedTokens: tokens,
    predictedQuality: finiteOr(s.quality[m], null),
    predictedCostUsd: finiteOr(s.costUsd[m], null),
    score: finiteOr(it.scores[m], null),
    dualPrice: it.dualPrice,
    scores: it.scores,
    reason: null,
    deferUntilMs: null,
    deferrals: s.deferrals,
    policy: ctx.policyName,
    routerInstance: p.config.router.instanceId,
    sourceTopic: s.record.topic,
    sourcePartition: s.record.partition,
    sourceOffset: s.record.offset,
    decidedAtMs: ctx.nowMs,
    features:
      s.feedback === null || !p.feedback
        ? null
        : p.feedback.featuresOf(s.feedback.embedding, { quality: s.feedback.quality[m]!, costUsd: s.feedback.costUsd[m]!, outputTokens: s.feedback.outputTokens[m]! }),
  };
}
