// Pure simulation of one model executing one routed request: the dataset's true outcome of
// that query on that model (quality, tokens, cost), plus a latency and an error drawn from a
// generator seeded by (seed, model, requestId). The same request always gets the same draw, so
// a batch executed twice (an aborted transaction, a restart) reports the same outcome.
import type { RoutedRequestV1 } from '@switchyard/contracts';
import type { Dataset, DatasetQuery } from '@switchyard/datasets';
import { gaussian, mulberry32 } from '@switchyard/datasets';
import type { ExecutionResult } from '@switchyard/executor-kit';
import type { LatencySpec } from './config.ts';

export const SIMULATED_FAILURE = 'simulated_failure';
export const UNKNOWN_DATASET_ID = 'unknown_dataset_id';

export interface SimulationSettings {
  readonly latency: LatencySpec;
  readonly errorRate: number;
  readonly seed: number;
  readonly datasetIdKey: string;
}

/** One model's column in a dataset, and the queries by id (history and test alike). */
export interface TruthTable {
  readonly column: number;
  readonly byId: ReadonlyMap<string, DatasetQuery>;
}

// FNV-1a over the UTF-16 code units: a stable 32-bit seed per (seed, model, request).
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function sampleLatencyMs(spec: LatencySpec, rand: () => number): number {
  switch (spec.kind) {
    case 'fixed':
      return spec.ms;
    case 'uniform':
      return spec.minMs + (spec.maxMs - spec.minMs) * rand();
    case 'lognormal':
      return spec.medianMs * Math.exp(spec.sigma * gaussian(rand));
  }
}

export function indexDataset(data: Dataset): Map<string, DatasetQuery> {
  const byId = new Map<string, DatasetQuery>();
  for (const q of data.history) byId.set(q.id, q);
  for (const q of data.test) byId.set(q.id, q);
  return byId;
}

/**
 * Maps each configured model to a dataset column: `modelColumns`, else the same name, else
 * (synthetic data, whose models have generated names) the same position. Null when none fits.
 */
export function columnFor(model: string, position: number, data: Dataset, modelColumns: Readonly<Record<string, string>>, synthetic: boolean): number | null {
  const wanted = modelColumns[model] ?? model;
  const byName = data.models.indexOf(wanted);
  if (byName >= 0) return byName;
  if (synthetic && position < data.models.length) return position;
  return null;
}

function finite(x: number | undefined): number | null {
  return x !== undefined && Number.isFinite(x) ? x : null;
}

export function simulateRequest(model: string, request: RoutedRequestV1, truth: TruthTable, settings: SimulationSettings): ExecutionResult {
  const rand = mulberry32(hash32(`${settings.seed}\u0000${model}\u0000${request.requestId}`));
  const latencyMs = Math.max(0, Math.round(sampleLatencyMs(settings.latency, rand)));
  const failed = rand() < settings.errorRate;
  const id = request.metadata[settings.datasetIdKey];
  const query = id === undefined ? undefined : truth.byId.get(id);
  if (query === undefined) {
    return {
      requestId: request.requestId,
      quality: null,
      success: null,
      promptTokens: request.promptTokens,
      completionTokens: 0,
      latencyMs,
      error: `${UNKNOWN_DATASET_ID}: metadata.${settings.datasetIdKey}=${id ?? '<absent>'}`,
      costUsd: 0,
    };
  }
  const promptTokens = Number.isFinite(query.promptTokens) ? Math.round(query.promptTokens) : request.promptTokens;
  if (failed) {
    return { requestId: request.requestId, quality: null, success: false, promptTokens, completionTokens: 0, latencyMs, error: SIMULATED_FAILURE, costUsd: 0 };
  }
  const total = finite(query.tokens[truth.column]);
  const trueCompletion = total === null ? 0 : Math.max(0, Math.round(total - promptTokens));
  // A model stops at the request's cap; the cost shrinks with the tokens it did not generate.
  const completionTokens = Math.min(trueCompletion, request.maxOutputTokens);
  const cost = finite(query.cost[truth.column]);
  const costUsd = cost === null ? null : trueCompletion > completionTokens && total !== null && total > 0 ? (cost * (promptTokens + completionTokens)) / total : cost;
  // RouterBench leaves a few correctness cells empty; a served query there counts as 0
  // (BENCHMARK.md, Data).
  const quality = finite(query.quality[truth.column]) ?? 0;
  return { requestId: request.requestId, quality, success: null, promptTokens, completionTokens, latencyMs, error: null, costUsd };
}
