// Valid sample records for tests across the workspace. Each builder returns a record that
// passes the bundled schema and the default validators; override fields to make invalid ones.
import type { DeadLetterV1, DeferredV3, OutcomeV2, RequestV3, RoutedBatchV3, RoutedRequestV3 } from './types.ts';

const T0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z, fixed so fixtures are reproducible

export function sampleRequest(overrides: Partial<RequestV3> = {}): RequestV3 {
  return {
    requestId: 'req-0001',
    jobId: 'job-01',
    tenant: 'tenant-a',
    prompt: 'What is the capital of France?',
    embedding: null,
    promptTokens: null,
    maxOutputTokens: 256,
    priority: 0,
    deadline: null,
    allowedModels: null,
    metadata: {},
    submittedAt: T0,
    customId: null,
    body: null,
    excludedModels: [],
    failedAttempts: [],
    ...overrides,
  };
}

export function sampleRoutedRequest(overrides: Partial<RoutedRequestV3> = {}): RoutedRequestV3 {
  return {
    requestId: 'req-0001',
    jobId: 'job-01',
    tenant: 'tenant-a',
    prompt: 'What is the capital of France?',
    embedding: null,
    promptTokens: 8,
    maxOutputTokens: 256,
    estimatedTokens: 72,
    predictedQuality: 0.91,
    predictedCostUsd: 0.00012,
    score: 0.87,
    fallbackRank: 0,
    dualPrice: 0,
    priority: 0,
    deadline: null,
    metadata: {},
    customId: null,
    body: null,
    allowedModels: null,
    submittedAt: T0,
    excludedModels: [],
    failedAttempts: [],
    ...overrides,
  };
}

export function sampleRoutedBatch(overrides: Partial<RoutedBatchV3> = {}): RoutedBatchV3 {
  const requests = overrides.requests ?? [sampleRoutedRequest()];
  return {
    batchId: 'batch-0001',
    model: 'gpt-4-1106-preview',
    createdAt: T0 + 1_000,
    routerInstance: 'router-1',
    policy: 'port',
    totalEstimatedTokens: requests.reduce((sum, r) => sum + r.estimatedTokens, 0),
    requests,
    ...overrides,
  };
}

export function sampleOutcome(overrides: Partial<OutcomeV2> = {}): OutcomeV2 {
  return {
    requestId: 'req-0001',
    jobId: 'job-01',
    tenant: 'tenant-a',
    model: 'gpt-4-1106-preview',
    batchId: 'batch-0001',
    quality: 1,
    success: true,
    promptTokens: 8,
    completionTokens: 12,
    latencyMs: 840,
    error: null,
    costUsd: 0.00044,
    completedAt: T0 + 5_000,
    customId: null,
    statusCode: null,
    response: null,
    ...overrides,
  };
}

export function sampleDeadLetter(overrides: Partial<DeadLetterV1> = {}): DeadLetterV1 {
  return {
    reason: 'undecodable',
    detail: 'bad_magic: first byte is 0x7b, expected 0x00',
    sourceTopic: 'requests',
    sourcePartition: 0,
    sourceOffset: 42,
    originalKey: Buffer.from('req-0001'),
    originalValue: Buffer.from('{"not":"avro"}'),
    originalHeaders: [{ key: 'trace-id', value: Buffer.from('abc') }],
    failedAt: T0 + 2_000,
    service: 'router/router-1',
    ...overrides,
  };
}

export function sampleDeferred(overrides: Partial<DeferredV3> = {}): DeferredV3 {
  return {
    request: sampleRequest(),
    deferUntil: T0 + 60_000,
    reason: 'budget_exhausted',
    detail: null,
    attempts: 1,
    deferredAt: T0 + 1_000,
    ...overrides,
  };
}
