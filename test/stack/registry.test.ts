// @confluentinc/schemaregistry against Apicurio's Confluent-compatible API (ccompat v7):
// registration, lookups by schema and by version, canonical ids, and an Avro round trip in
// the Confluent wire format.
import { afterAll, describe, expect, it } from 'vitest';
import { AvroDeserializer, AvroSerializer, SerdeType } from '@confluentinc/schemaregistry';
import { createRegistryClient, deleteSubject, stack, uniqueName } from '../support/index.ts';

const info = stack();
const subjects: string[] = [];

function recordSchema(name: string, extraField = false): string {
  return JSON.stringify({
    type: 'record',
    name,
    namespace: 'dev.switchyard.test',
    fields: [
      { name: 'requestId', type: 'string' },
      { name: 'promptTokens', type: 'int' },
      ...(extraField ? [{ name: 'tenant', type: 'string', default: 'default' }] : []),
    ],
  });
}

afterAll(async () => {
  for (const subject of subjects) await deleteSubject(info, subject);
});

describe('schema registry (Confluent API)', () => {
  it('registers a schema and resolves it by id, by schema and by version', async () => {
    const client = createRegistryClient();
    const subject = uniqueName('reg') + '-value';
    subjects.push(subject);
    const schema = recordSchema('Request');

    const id = await client.register(subject, { schemaType: 'AVRO', schema });
    expect(id).toBeGreaterThan(0);

    const fresh = createRegistryClient();
    expect(JSON.parse((await fresh.getBySubjectAndId(subject, id)).schema)).toEqual(JSON.parse(schema));
    expect(await fresh.getId(subject, { schemaType: 'AVRO', schema })).toBe(id);
    const latest = await fresh.getLatestSchemaMetadata(subject);
    expect(latest).toMatchObject({ id, version: 1, subject });
    expect(await fresh.getAllVersions(subject)).toEqual([1]);
    expect((await fresh.getSchemaMetadata(subject, 1)).id).toBe(id);
    expect(await fresh.getVersion(subject, { schemaType: 'AVRO', schema })).toBe(1);

    const evolved = recordSchema('Request', true);
    const id2 = await fresh.register(subject, { schemaType: 'AVRO', schema: evolved });
    expect(id2).not.toBe(id);
    expect(await createRegistryClient().getAllVersions(subject)).toEqual([1, 2]);
    expect((await createRegistryClient().getLatestSchemaMetadata(subject)).version).toBe(2);
  });

  it('gives a reformatted copy of a schema the same id (canonical hashing)', async () => {
    const subject = uniqueName('canon') + '-value';
    subjects.push(subject);
    const compact = recordSchema('Canon');
    const pretty = JSON.stringify(JSON.parse(compact), null, 4);
    const id = await createRegistryClient().register(subject, { schemaType: 'AVRO', schema: compact });
    expect(await createRegistryClient().register(subject, { schemaType: 'AVRO', schema: pretty })).toBe(id);
    expect(await createRegistryClient().getId(subject, { schemaType: 'AVRO', schema: pretty })).toBe(id);
    expect(await createRegistryClient().getAllVersions(subject)).toEqual([1]);
  });

  it('looking up an unregistered schema fails instead of returning some id', async () => {
    const subject = uniqueName('unknown') + '-value';
    await expect(createRegistryClient().getId(subject, { schemaType: 'AVRO', schema: recordSchema('Nope') })).rejects.toThrow();
  });

  it('round-trips an Avro record through the serializer and a separate deserializer', async () => {
    const topic = uniqueName('avro');
    const subject = `${topic}-value`;
    subjects.push(subject);
    await createRegistryClient().register(subject, { schemaType: 'AVRO', schema: recordSchema('Payload') });

    const serializer = new AvroSerializer(createRegistryClient(), SerdeType.VALUE, { useLatestVersion: true, autoRegisterSchemas: false });
    const value = { requestId: 'r-1', promptTokens: 812 };
    const bytes = await serializer.serialize(topic, value);
    expect(bytes[0]).toBe(0); // Confluent wire format: magic byte, then a 4-byte schema id.

    const deserializer = new AvroDeserializer(createRegistryClient(), SerdeType.VALUE, {});
    expect({ ...(await deserializer.deserialize(topic, bytes)) }).toEqual(value);
  });
});
