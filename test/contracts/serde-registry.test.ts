// AvroSerde against the real schema registry (Apicurio, Confluent API): registration under
// TopicNameStrategy, decoding our own and evolved writers, and bad input as values.
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import avro from 'avsc';
import { AvroSerde, contracts, createRegistryClient, createRequestValidator, encodeWire, sampleDeferred, sampleOutcome, sampleRequest, sampleRoutedBatch, sampleRoutedRequest, valueSubject } from '@switchyard/contracts';
import type { Contract } from '@switchyard/contracts';
import { deleteSubject, stack, uniqueName } from '../support/index.ts';

const info = stack();
const subjects: string[] = [];

function topic(prefix: string): string {
  const t = uniqueName(prefix);
  subjects.push(valueSubject(t));
  return t;
}

afterAll(async () => {
  for (const subject of subjects) await deleteSubject(info, subject);
});

// The client's updateConfig body is refused by Apicurio's ccompat API ("Name is null"); the
// plain Confluent request works.
async function setCompatibility(subject: string, level: string): Promise<void> {
  const res = await fetch(`${info.registryUrl}/config/${encodeURIComponent(subject)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ compatibility: level }),
  });
  if (!res.ok) throw new Error(`PUT config ${subject} -> ${res.status} ${await res.text()}`);
}

// Version 0 of the request, before priority, deadline and allowedModels existed.
const requestV0 = {
  type: 'record',
  name: 'Request',
  namespace: 'switchyard.v1',
  fields: [
    { name: 'requestId', type: 'string' },
    { name: 'jobId', type: 'string' },
    { name: 'tenant', type: 'string' },
    { name: 'prompt', type: ['null', 'string'], default: null },
    { name: 'embedding', type: ['null', { type: 'array', items: 'float' }], default: null },
    { name: 'promptTokens', type: ['null', 'int'], default: null },
    { name: 'maxOutputTokens', type: 'int' },
    { name: 'metadata', type: { type: 'map', values: 'string' }, default: {} },
    { name: 'submittedAt', type: 'long' },
  ],
};

describe('AvroSerde with the real registry', () => {
  it('registers under <topic>-value, reuses the id, and round-trips every contract', async () => {
    const registry = createRegistryClient({ url: info.registryUrl });
    const cases = [
      [contracts.request, sampleRequest({ prompt: 'naïve 👩‍👩‍👧 \u0000 test', embedding: [0.25, -1], metadata: { a: 'b' } })],
      [contracts.outcome, sampleOutcome()],
    ] as const;
    for (const [contract, value] of cases) {
      const t = topic(`serde-${contract.name}`);
      const serde = await AvroSerde.forTopic(registry, t, contract as typeof contracts.request, {});
      const again = await AvroSerde.forTopic(createRegistryClient({ url: info.registryUrl }), t, contract as typeof contracts.request, { autoRegister: false });
      expect(again.schemaId).toBe(serde.schemaId);
      const decoded = await again.decode(serde.encode(value as never));
      expect(decoded.ok).toBe(true);
      if (decoded.ok) expect({ ...decoded.value }).toEqual(value);
    }
  });

  it('reads records written with an older registered version, filling defaults', async () => {
    const registry = createRegistryClient({ url: info.registryUrl });
    const t = topic('serde-evolve');
    const v0Id = await registry.register(valueSubject(t), { schemaType: 'AVRO', schema: JSON.stringify(requestV0) });
    const serde = await AvroSerde.forTopic(registry, t, contracts.request);
    expect(serde.schemaId).not.toBe(v0Id);

    const v0 = avro.Type.forSchema(requestV0 as avro.Schema);
    const { priority: _p, deadline: _d, allowedModels: _a, ...old } = sampleRequest();
    const decoded = await serde.decode(encodeWire(v0Id, v0.toBuffer(old)));
    expect(decoded).toMatchObject({ ok: true, schemaId: v0Id, value: { priority: 0, deadline: null, allowedModels: null } });
    if (decoded.ok) {
      const verdict = createRequestValidator({ embeddingDim: null, maxPromptChars: 1_000, maxPromptTokens: 1_000, knownModels: [] })(decoded.value, 0);
      expect(verdict.ok).toBe(true);
    }
  });

  it.each([
    ['request', 'request.v1.avsc', contracts.request],
    ['routedBatch', 'routed-batch.v1.avsc', contracts.routedBatch],
    ['outcome', 'outcome.v1.avsc', contracts.outcome],
    ['deferred', 'deferred.v1.avsc', contracts.deferred],
  ] as const)('registers %s (v2 and later) over v1 under a BACKWARD rule and reads v1 records with it', async (_name, v1File, contract) => {
    const registry = createRegistryClient({ url: info.registryUrl });
    const t = topic(`serde-v2-${_name}`);
    const v1Text = JSON.stringify(JSON.parse(readFileSync(new URL(`../../schemas/${v1File}`, import.meta.url), 'utf8')));
    const v1Id = await registry.register(valueSubject(t), { schemaType: 'AVRO', schema: v1Text });
    await setCompatibility(valueSubject(t), 'BACKWARD');
    // The rule is live: a field added without a default is refused, so the next line proves compatibility.
    const broken = JSON.parse(v1Text) as { fields: unknown[] };
    broken.fields.push({ name: 'mandatory', type: 'string' });
    await expect(registry.register(valueSubject(t), { schemaType: 'AVRO', schema: JSON.stringify(broken) })).rejects.toMatchObject({ status: 409 });

    const serde = await AvroSerde.forTopic(registry, t, contract as typeof contracts.request);
    expect(serde.schemaId).not.toBe(v1Id);
    if (contract === contracts.request) {
      const v1 = avro.Type.forSchema(JSON.parse(v1Text) as avro.Schema);
      const { customId: _c, body: _b, ...old } = sampleRequest({ metadata: { k: 'v' } });
      const decoded = await serde.decode(encodeWire(v1Id, v1.toBuffer(old)));
      expect(decoded).toMatchObject({ ok: true, schemaId: v1Id, value: { ...old, customId: null, body: null } });
    }
  });

  // Version 3 adds the reroute fields (excludedModels, failedAttempts; routed items also
  // allowedModels, submittedAt). It keeps the v2 record names, so a consumer still on v2 (an
  // executor in another language, a router mid-upgrade) reads v3 records, and v3 reads v2.
  const attempt = { model: 'm1', reason: 'model_failed_permanently', statusCode: 404, detail: 'HTTP 404: gone', batchId: 'b1', failedAt: 5 };
  it.each([
    ['request', 'request.v2.avsc', contracts.request, sampleRequest({ customId: 'c1', excludedModels: ['m1'], failedAttempts: [attempt] })],
    ['routedBatch', 'routed-batch.v2.avsc', contracts.routedBatch, sampleRoutedBatch({ requests: [sampleRoutedRequest({ customId: 'c1', allowedModels: ['m1', 'm2'], excludedModels: ['m0'], failedAttempts: [{ ...attempt, model: 'm0' }] })] })],
    ['deferred', 'deferred.v2.avsc', contracts.deferred, sampleDeferred({ reason: 'model_failed', request: sampleRequest({ customId: 'c1', excludedModels: ['m1'], failedAttempts: [attempt] }) })],
  ] as const)('registers %s v3 over v2 under a FULL rule; v2 readers read v3 records and v3 reads v2 records', async (name, v2File, contract, v3Value) => {
    const registry = createRegistryClient({ url: info.registryUrl });
    const t = topic(`serde-v3-${name}`);
    const v2Text = JSON.stringify(JSON.parse(readFileSync(new URL(`../../schemas/${v2File}`, import.meta.url), 'utf8')));
    const v2Id = await registry.register(valueSubject(t), { schemaType: 'AVRO', schema: v2Text });
    await setCompatibility(valueSubject(t), 'FULL');
    // The rule is live: a new field without a default breaks the backward half and is refused.
    const broken = JSON.parse(v2Text) as { fields: unknown[] };
    broken.fields.push({ name: 'mandatory', type: 'string' });
    await expect(registry.register(valueSubject(t), { schemaType: 'AVRO', schema: JSON.stringify(broken) })).rejects.toMatchObject({ status: 409 });

    const v3 = await AvroSerde.forTopic(registry, t, contract as Contract<unknown>);
    expect(v3.schemaId).not.toBe(v2Id);
    // An old consumer: its reader is the v2 file, looked up (not registered) under the subject.
    const v2Type = avro.Type.forSchema(JSON.parse(v2Text) as avro.Schema);
    const v2Contract = { ...contract, fileName: v2File, schemaText: v2Text, type: v2Type } as Contract<unknown>;
    const v2 = await AvroSerde.forTopic(registry, t, v2Contract, { autoRegister: false });
    expect(v2.schemaId).toBe(v2Id);
    const old = await v2.decode(v3.encode(v3Value));
    expect(old.ok).toBe(true);
    expect(JSON.stringify(old.ok ? old.value : null)).not.toContain('excludedModels');
    expect(JSON.stringify(old.ok ? old.value : null)).toContain('c1');
    const fresh = await v3.decode(v2.encode(old.ok ? old.value : null));
    expect(fresh.ok).toBe(true);
    const text = JSON.stringify(fresh.ok ? fresh.value : null);
    expect(text).toContain('"excludedModels":[]');
    expect(text).toContain('"failedAttempts":[]');
  });

  it('maps unknown ids, foreign schemas and corrupt bytes to dead-letter reasons', async () => {
    const registry = createRegistryClient({ url: info.registryUrl });
    const requests = await AvroSerde.forTopic(registry, topic('serde-requests'), contracts.request);
    const outcomes = await AvroSerde.forTopic(registry, topic('serde-outcomes'), contracts.outcome);

    const valid = requests.encode(sampleRequest());
    await expect(requests.decode(encodeWire(2_000_000_000, valid.subarray(5)))).resolves.toMatchObject({ ok: false, reason: 'unknown_schema' });
    await expect(requests.decode(outcomes.encode(sampleOutcome()))).resolves.toMatchObject({ ok: false, reason: 'wrong_schema' });
    await expect(requests.decode(valid.subarray(0, valid.length - 4))).resolves.toMatchObject({ ok: false, reason: 'undecodable' });
    await expect(requests.decode(Buffer.from('{"requestId":"r"}'))).resolves.toMatchObject({ ok: false, reason: 'undecodable' });
  });

  it('fails with a retriable ContractsError when the registry cannot be reached', async () => {
    const dead = createRegistryClient({ url: 'http://127.0.0.1:9/apis/ccompat/v7', requestTimeoutMs: 2_000, maxRetries: 0 });
    await expect(AvroSerde.forTopic(dead, uniqueName('serde-dead'), contracts.request)).rejects.toMatchObject({ name: 'ContractsError', code: 'registry_unavailable', retriable: true });
  });
});
