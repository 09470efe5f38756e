import { readFileSync } from 'node:fs';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { RestError } from '@confluentinc/schemaregistry/dist/rest-error.js';
import { AvroSerde } from '../src/serde.ts';
import { contracts } from '../src/schemas.ts';
import { ContractsError } from '../src/errors.ts';
import { createRequestValidator } from '../src/validate.ts';
import { decodeWire, encodeWire } from '../src/wire.ts';
import { sampleOutcome, sampleRequest } from '../src/fixtures.ts';
import { FakeRegistry } from './fixtures/registry.ts';
import { buildEncodedFixtures } from './fixtures/encoded.ts';

const validate = createRequestValidator({ embeddingDim: 4, maxPromptChars: 100_000, maxPromptTokens: 50_000, knownModels: ['m'] });

describe('AvroSerde', () => {
  it('registers the reader schema under <topic>-value and frames values with its id', async () => {
    const registry = new FakeRegistry();
    const serde = await AvroSerde.forTopic(registry, 'requests', contracts.request);
    expect(serde.subject).toBe('requests-value');
    const bytes = serde.encode(sampleRequest());
    const wire = decodeWire(bytes);
    expect(wire).toMatchObject({ ok: true, schemaId: serde.schemaId });
    const decoded = await serde.decode(bytes);
    expect(decoded.ok && { ...decoded.value }).toEqual(sampleRequest());
  });

  it('encodes records larger than its scratch buffer, and smaller ones after them, as avsc does', async () => {
    const serde = await AvroSerde.forTopic(new FakeRegistry(), 'requests', contracts.request);
    for (const chars of [10, 40_000, 5, 200_000, 3_000]) {
      const request = { ...sampleRequest(), prompt: 'p\u00e9'.repeat(chars) };
      const bytes = serde.encode(request);
      expect(bytes.subarray(5)).toEqual(contracts.request.type.toBuffer(request));
      const decoded = await serde.decode(bytes);
      expect(decoded.ok && decoded.value.prompt).toBe(request.prompt);
    }
  });

  it.each([
    ['request.v1.avsc', contracts.request, { customId: null, body: null }],
    ['outcome.v1.avsc', contracts.outcome, { customId: null, statusCode: null, response: null }],
  ] as const)('decodes a record written with %s through the v2 reader, new fields null', async (file, contract, added) => {
    const registry = new FakeRegistry();
    const v1Text = JSON.stringify(JSON.parse(readFileSync(new URL(`../../../schemas/${file}`, import.meta.url), 'utf8')));
    const v1Id = await registry.register('t-value', { schemaType: 'AVRO', schema: v1Text });
    const serde = await AvroSerde.forTopic(registry, 't', contract as typeof contracts.request);
    expect(serde.schemaId).not.toBe(v1Id);
    const value = file.startsWith('request') ? sampleRequest() : sampleOutcome();
    const { customId: _c, body: _b, statusCode: _s, response: _r, ...v1Value } = value as unknown as Record<string, unknown>;
    const v1Bytes = encodeWire(v1Id, avro.Type.forSchema(JSON.parse(v1Text) as avro.Schema).toBuffer(v1Value));
    const decoded = await serde.decode(v1Bytes);
    expect(decoded.ok && { ...decoded.value }).toEqual({ ...v1Value, ...added });
  });

  it('is idempotent: a second serde for the same topic gets the same id', async () => {
    const registry = new FakeRegistry();
    const a = await AvroSerde.forTopic(registry, 'requests', contracts.request);
    const b = await AvroSerde.forTopic(registry, 'requests', contracts.request, { autoRegister: false });
    expect(b.schemaId).toBe(a.schemaId);
  });

  it('lookup-only mode fails with ContractsError when the subject lacks the schema', async () => {
    const err = await AvroSerde.forTopic(new FakeRegistry(), 'requests', contracts.request, { autoRegister: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContractsError);
    expect(err).toMatchObject({ code: 'registry_rejected', retriable: false });
  });

  it('throws invalid_value when asked to encode a value that breaks the schema', async () => {
    const serde = await AvroSerde.forTopic(new FakeRegistry(), 'requests', contracts.request);
    const bad = { ...sampleRequest(), maxOutputTokens: 'lots' } as unknown as ReturnType<typeof sampleRequest>;
    expect(() => serde.encode(bad)).toThrow(expect.objectContaining({ code: 'invalid_value', message: expect.stringContaining('maxOutputTokens') }));
  });

  it('refuses strings that are not UTF-8 instead of rewriting them, and keeps a real U+FFFD', async () => {
    const serde = await AvroSerde.forTopic(new FakeRegistry(), 'requests', contracts.request);
    const marker = 'MARKER';
    const body = contracts.request.type.toBuffer(sampleRequest({ prompt: marker }));
    const at = body.indexOf(Buffer.from(marker));
    // A CESU-8 lone surrogate (what a writer makes of "\ud800"), same byte length as the marker.
    const patched = Buffer.concat([body.subarray(0, at), Buffer.from([0x61, 0xed, 0xa0, 0x80, 0x62, 0x63]), body.subarray(at + marker.length)]);
    expect(await serde.decode(encodeWire(serde.schemaId, patched))).toMatchObject({ ok: false, reason: 'undecodable', detail: expect.stringContaining('UTF-8') });
    const real = await serde.decode(serde.encode(sampleRequest({ prompt: 'a \uFFFD b' })));
    expect(real.ok && real.value.prompt).toBe('a \uFFFD b');
  });

  describe('decoding the encoded fixtures', async () => {
    const registry = new FakeRegistry();
    const fixtures = await buildEncodedFixtures(registry, 'requests-value');
    const serde = await AvroSerde.forTopic(registry, 'requests', contracts.request);

    it.each(fixtures.map((f) => [f.name, f] as const))('%s', async (_name, fixture) => {
      const decoded = await serde.decode(fixture.bytes);
      if (fixture.decode === 'ok') {
        expect(decoded.ok, decoded.ok ? '' : decoded.detail).toBe(true);
        if (decoded.ok) {
          const verdict = validate(decoded.value, 0);
          expect(verdict.ok ? 'ok' : verdict.reason).toBe(fixture.validate);
        }
      } else {
        expect(decoded).toMatchObject({ ok: false, reason: fixture.decode });
      }
    });
  });

  it('fills defaults of fields the writer did not have', async () => {
    const registry = new FakeRegistry();
    const fixtures = await buildEncodedFixtures(registry, 'requests-value');
    const serde = await AvroSerde.forTopic(registry, 'requests', contracts.request);
    const v0 = fixtures.find((f) => f.name.startsWith('v0'));
    const decoded = await serde.decode(v0?.bytes);
    expect(decoded).toMatchObject({ ok: true, value: { priority: 0, deadline: null, allowedModels: null } });
  });

  it('asks the registry once per writer schema id, including unknown ones', async () => {
    const registry = new FakeRegistry();
    const serde = await AvroSerde.forTopic(registry, 'requests', contracts.request);
    const own = serde.encode(sampleRequest());
    const unknown = encodeWire(4242, Buffer.from([0]));
    await Promise.all([serde.decode(own), serde.decode(unknown), serde.decode(unknown), serde.decode(own)]);
    await serde.decode(unknown);
    expect(registry.lookups).toBe(1);
  });

  it('bounds the schema-id cache', async () => {
    const registry = new FakeRegistry();
    const serde = await AvroSerde.forTopic(registry, 'requests', contracts.request, { maxCachedSchemaIds: 4 });
    for (let id = 100; id < 110; id++) await serde.decode(encodeWire(id, Buffer.from([0])));
    registry.lookups = 0;
    await serde.decode(encodeWire(100, Buffer.from([0])));
    expect(registry.lookups).toBe(1);
    await serde.decode(serde.encode(sampleRequest()));
    expect(registry.lookups).toBe(1);
  });

  it('throws a retriable ContractsError when the registry is down, and asks again next time', async () => {
    const registry = new FakeRegistry();
    const serde = await AvroSerde.forTopic(registry, 'requests', contracts.request);
    const unknown = encodeWire(77, Buffer.from([0]));
    registry.failNext = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:18081'), { code: 'ECONNREFUSED' });
    await expect(serde.decode(unknown)).rejects.toMatchObject({ name: 'ContractsError', code: 'registry_unavailable', retriable: true });
    await expect(serde.decode(unknown)).resolves.toMatchObject({ ok: false, reason: 'unknown_schema' });
    expect(registry.lookups).toBe(2);
  });

  it('treats a 401 from the registry as broken infrastructure, not as bad input', async () => {
    const registry = new FakeRegistry();
    const serde = await AvroSerde.forTopic(registry, 'requests', contracts.request);
    registry.failNext = new RestError('Unauthorized', 401, 40101);
    await expect(serde.decode(encodeWire(78, Buffer.from([0])))).rejects.toMatchObject({ code: 'registry_rejected', retriable: false });
  });
});
