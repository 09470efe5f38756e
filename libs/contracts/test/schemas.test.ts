import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { contracts, valueSubject } from '../src/schemas.ts';
import avro from 'avsc';
import type { DeadLetterV1, DeferredV1, FailedAttemptV3, OutcomeV1, OutcomeV2, RequestV1, RequestV2, RequestV3, RoutedBatchV1, RoutedRequestV1, RoutedRequestV2, RoutedRequestV3 } from '../src/types.ts';
import {
  sampleDeadLetter,
  sampleDeferred,
  sampleOutcome,
  sampleRequest,
  sampleRoutedBatch,
  sampleRoutedRequest,
} from '../src/fixtures.ts';

// Record<keyof T, true> forces these lists to name exactly the TypeScript fields; the tests
// below then compare them with the Avro field lists, so types and schemas cannot drift apart.
const requestKeys: Record<keyof RequestV1, true> = {
  requestId: true, jobId: true, tenant: true, prompt: true, embedding: true, promptTokens: true,
  maxOutputTokens: true, priority: true, deadline: true, allowedModels: true, metadata: true, submittedAt: true,
};
const routedRequestKeys: Record<keyof RoutedRequestV1, true> = {
  requestId: true, jobId: true, tenant: true, prompt: true, embedding: true, promptTokens: true,
  maxOutputTokens: true, estimatedTokens: true, predictedQuality: true, predictedCostUsd: true, score: true,
  fallbackRank: true, dualPrice: true, priority: true, deadline: true, metadata: true,
};
const routedBatchKeys: Record<keyof RoutedBatchV1, true> = {
  batchId: true, model: true, createdAt: true, routerInstance: true, policy: true, totalEstimatedTokens: true, requests: true,
};
const outcomeKeys: Record<keyof OutcomeV1, true> = {
  requestId: true, jobId: true, tenant: true, model: true, batchId: true, quality: true, success: true,
  promptTokens: true, completionTokens: true, latencyMs: true, error: true, costUsd: true, completedAt: true,
};
const requestV2Keys: Record<keyof RequestV2, true> = { ...requestKeys, customId: true, body: true };
const routedRequestV2Keys: Record<keyof RoutedRequestV2, true> = { ...routedRequestKeys, customId: true, body: true };
const requestV3Keys: Record<keyof RequestV3, true> = { ...requestV2Keys, excludedModels: true, failedAttempts: true };
const routedRequestV3Keys: Record<keyof RoutedRequestV3, true> = { ...routedRequestV2Keys, allowedModels: true, submittedAt: true, excludedModels: true, failedAttempts: true };
const failedAttemptKeys: Record<keyof FailedAttemptV3, true> = { model: true, reason: true, statusCode: true, detail: true, batchId: true, failedAt: true };
const outcomeV2Keys: Record<keyof OutcomeV2, true> = { ...outcomeKeys, customId: true, statusCode: true, response: true };
const deadLetterKeys: Record<keyof DeadLetterV1, true> = {
  reason: true, detail: true, sourceTopic: true, sourcePartition: true, sourceOffset: true, originalKey: true,
  originalValue: true, originalHeaders: true, failedAt: true, service: true,
};
const deferredKeys: Record<keyof DeferredV1, true> = {
  request: true, deferUntil: true, reason: true, detail: true, attempts: true, deferredAt: true,
};

interface AvroField { name: string; type: unknown; doc?: string }
interface AvroRecord { name: string; doc?: string; fields: AvroField[] }

function readSchema(file: string): AvroRecord {
  return JSON.parse(readFileSync(new URL(`../../../schemas/${file}`, import.meta.url), 'utf8')) as AvroRecord;
}

function fieldNames(schema: AvroRecord): string[] {
  return schema.fields.map((f) => f.name).sort();
}

describe('bundled Avro schemas', () => {
  it.each([
    ['request.v1.avsc', requestKeys],
    ['routed-batch.v1.avsc', routedBatchKeys],
    ['outcome.v1.avsc', outcomeKeys],
    ['dead-letter.v1.avsc', deadLetterKeys],
    ['deferred.v1.avsc', deferredKeys],
    ['request.v2.avsc', requestV2Keys],
    ['routed-batch.v2.avsc', routedBatchKeys],
    ['outcome.v2.avsc', outcomeV2Keys],
    ['deferred.v2.avsc', deferredKeys],
    ['request.v3.avsc', requestV3Keys],
    ['routed-batch.v3.avsc', routedBatchKeys],
    ['deferred.v3.avsc', deferredKeys],
  ])('%s has exactly the fields of its TypeScript type', (file, keys) => {
    expect(fieldNames(readSchema(file))).toEqual(Object.keys(keys).sort());
  });

  it('RoutedRequest inside routed-batch.v1 matches RoutedRequestV1', () => {
    const requests = readSchema('routed-batch.v1.avsc').fields.find((f) => f.name === 'requests');
    const item = (requests?.type as { items: AvroRecord }).items;
    expect(fieldNames(item)).toEqual(Object.keys(routedRequestKeys).sort());
  });

  it('RoutedRequest inside routed-batch.v2 matches RoutedRequestV2', () => {
    const requests = readSchema('routed-batch.v2.avsc').fields.find((f) => f.name === 'requests');
    const item = (requests?.type as { items: AvroRecord }).items;
    expect(fieldNames(item)).toEqual(Object.keys(routedRequestV2Keys).sort());
  });

  it('the Request embedded in deferred.v2 is field-for-field request.v2', () => {
    const embedded = readSchema('deferred.v2.avsc').fields.find((f) => f.name === 'request')?.type as AvroRecord;
    const { namespace: _ns, ...request } = readSchema('request.v2.avsc') as AvroRecord & { namespace: string };
    expect(embedded).toEqual(request);
  });

  it.each(['request', 'routed-batch', 'outcome', 'deferred'])('%s.v2 only adds optional fields to v1 and is the bundled reader', (base) => {
    const v1 = readSchema(`${base}.v1.avsc`);
    const v2 = readSchema(`${base}.v2.avsc`) as AvroRecord & { aliases?: string[] };
    expect(v2.fields.slice(0, v1.fields.length).map((f) => f.name)).toEqual(v1.fields.map((f) => f.name));
    for (const f of v2.fields.slice(v1.fields.length)) expect((f as AvroField & { default?: unknown }).default, f.name).toBeNull();
    expect(v2.aliases).toEqual([`switchyard.v1.${v1.name}`]);
  });

  it('RoutedRequest inside routed-batch.v3 matches RoutedRequestV3, and FailedAttempt matches FailedAttemptV3', () => {
    const requests = readSchema('routed-batch.v3.avsc').fields.find((f) => f.name === 'requests');
    const item = (requests?.type as { items: AvroRecord }).items;
    expect(fieldNames(item)).toEqual(Object.keys(routedRequestV3Keys).sort());
    const attempts = item.fields.find((f) => f.name === 'failedAttempts')?.type as { items: AvroRecord };
    expect(fieldNames(attempts.items)).toEqual(Object.keys(failedAttemptKeys).sort());
  });

  it('the Request embedded in deferred.v3 is field-for-field request.v3', () => {
    const embedded = readSchema('deferred.v3.avsc').fields.find((f) => f.name === 'request')?.type as AvroRecord;
    const { namespace: _ns, ...request } = readSchema('request.v3.avsc') as AvroRecord & { namespace: string };
    expect(embedded).toEqual(request);
  });

  it.each(['request', 'routed-batch', 'deferred'])('%s.v3 keeps the v2 record names, only adds defaulted fields, and is the bundled reader', (base) => {
    const v2 = readSchema(`${base}.v2.avsc`) as AvroRecord & { namespace: string; aliases?: string[] };
    const v3 = readSchema(`${base}.v3.avsc`) as AvroRecord & { namespace: string; aliases?: string[] };
    expect([v3.namespace, v3.name, v3.aliases]).toEqual([v2.namespace, v2.name, v2.aliases]);
    expect(v3.fields.slice(0, v2.fields.length).map((f) => f.name)).toEqual(v2.fields.map((f) => f.name));
    const contract = { request: contracts.request, 'routed-batch': contracts.routedBatch, deferred: contracts.deferred }[base]!;
    expect(contract.fileName).toBe(`${base}.v3.avsc`);
  });

  it('v2 and v3 read each other: a v2 reader skips the reroute fields, a v3 reader fills them empty', () => {
    const v2 = avro.Type.forSchema(readSchema('deferred.v2.avsc') as unknown as avro.Schema);
    const v3 = contracts.deferred.type;
    const attempt: FailedAttemptV3 = { model: 'm1', reason: 'model_failed_permanently', statusCode: 404, detail: 'HTTP 404: no such model', batchId: 'b1', failedAt: 5 };
    const rerouted = sampleDeferred({ reason: 'model_failed', request: sampleRequest({ customId: 'c', excludedModels: ['m1'], failedAttempts: [attempt] }) });
    const old = v2.fromBuffer(v3.toBuffer(rerouted), v2.createResolver(v3)) as { request: Record<string, unknown>; reason: string };
    expect(old.reason).toBe('model_failed');
    expect(old.request.customId).toBe('c');
    expect(old.request.excludedModels).toBeUndefined();
    const { excludedModels: _e, failedAttempts: _f, ...v2Request } = sampleRequest();
    const fresh = v3.fromBuffer(v2.toBuffer(sampleDeferred({ request: v2Request })), v3.createResolver(v2)) as { request: RequestV3 };
    expect(fresh.request.excludedModels).toEqual([]);
    expect(fresh.request.failedAttempts).toEqual([]);
  });

  it('the Request embedded in deferred.v1 is field-for-field request.v1', () => {
    const embedded = readSchema('deferred.v1.avsc').fields.find((f) => f.name === 'request')?.type as AvroRecord;
    const { namespace: _ns, ...request } = readSchema('request.v1.avsc') as AvroRecord & { namespace: string };
    expect(embedded).toEqual(request);
  });

  it.each(['request.v1.avsc', 'routed-batch.v1.avsc', 'outcome.v1.avsc', 'dead-letter.v1.avsc', 'deferred.v1.avsc',
    'request.v2.avsc', 'routed-batch.v2.avsc', 'outcome.v2.avsc', 'deferred.v2.avsc', 'request.v3.avsc', 'routed-batch.v3.avsc', 'deferred.v3.avsc'])(
    '%s documents the record and every field for executors in other languages',
    (file) => {
      const schema = readSchema(file);
      expect(schema.doc).toBeTruthy();
      for (const f of schema.fields) expect(f.doc, `${file}: ${f.name}`).toBeTruthy();
    },
  );

  it.each([
    ['request', contracts.request, sampleRequest({ embedding: [0.5, -1.25], allowedModels: ['a'], metadata: { k: 'v' }, deadline: 1 })],
    ['request (batch file)', contracts.request, sampleRequest({ customId: 'row-7', body: '{"model":"gpt-4o","messages":[]}' })],
    ['outcome (answered)', contracts.outcome, sampleOutcome({ customId: 'row-7', statusCode: 200, response: '{"id":"x"}' })],
    ['routedBatch', contracts.routedBatch, sampleRoutedBatch({ requests: [sampleRoutedRequest(), sampleRoutedRequest({ requestId: 'r2', embedding: [1, 2] })] })],
    ['outcome', contracts.outcome, sampleOutcome({ quality: null, success: null, error: 'timeout', costUsd: null, tenant: null })],
    ['deadLetter', contracts.deadLetter, sampleDeadLetter()],
    ['deferred', contracts.deferred, sampleDeferred({ detail: 'all budgets spent' })],
    ['deferred (rerouted)', contracts.deferred, sampleDeferred({ reason: 'model_failed', request: sampleRequest({ excludedModels: ['a'], failedAttempts: [{ model: 'a', reason: 'retries_exhausted', statusCode: null, detail: null, batchId: null, failedAt: 3 }] }) })],
    ['routedBatch (reroute context)', contracts.routedBatch, sampleRoutedBatch({ requests: [sampleRoutedRequest({ allowedModels: ['b', 'c'], excludedModels: ['a'], failedAttempts: [{ model: 'a', reason: 'model_failed_permanently', statusCode: 400, detail: 'bad', batchId: 'b0', failedAt: 9 }] })] })],
  ])('round-trips the %s fixture through avsc unchanged', (_name, contract, value) => {
    const type = contract.type;
    expect(type.isValid(value)).toBe(true);
    const decoded: unknown = type.fromBuffer(type.toBuffer(value));
    expect({ ...(decoded as object) }).toEqual(value);
  });

  it('names subjects with TopicNameStrategy', () => {
    expect(valueSubject('requests')).toBe('requests-value');
  });
});
