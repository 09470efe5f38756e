import { describe, expect, it } from 'vitest';
import { AvroSerde, contracts, sampleRequest } from '../src/index.ts';
import { createMemoryRegistry } from '../src/memory-registry.ts';

describe('createMemoryRegistry', () => {
  it('serves AvroSerde like a registry: one id per subject and schema, decodable by id', async () => {
    const registry = createMemoryRegistry();
    const a = await AvroSerde.forTopic(registry, 'requests', contracts.request);
    const again = await AvroSerde.forTopic(registry, 'requests', contracts.request, { autoRegister: false });
    const other = await AvroSerde.forTopic(registry, 'other', contracts.request);
    expect(again.schemaId).toBe(a.schemaId);
    expect(other.schemaId).not.toBe(a.schemaId);
    const request = sampleRequest();
    expect(await again.decode(a.encode(request))).toEqual({ ok: true, value: request, schemaId: a.schemaId });
    expect(await a.decode(Buffer.from([0, 0, 0, 0, 99, 1]))).toMatchObject({ ok: false, reason: 'unknown_schema' });
  });
});
