// The in-memory twin of the registry client (as Kafka clients ship a mock client): file mode,
// the demo's file routing and tests run the routing engine, which encodes and decodes through
// AvroSerde exactly as it does against Kafka, and no registry server is needed. Ids are handed
// out per distinct (subject, schema) pair, as the Confluent API does.
// Misses are answered with the client's own RestError 404 (Confluent codes 40401 subject, 40403
// schema), which the serde classifies as "unknown schema" exactly as it does for a server.
import { RestError } from '@confluentinc/schemaregistry/dist/rest-error.js';
import type { RegistryPort, SchemaInfo } from './registry.ts';

export function createMemoryRegistry(): RegistryPort {
  const ids = new Map<string, number>();
  const byId = new Map<number, SchemaInfo>();
  const keyOf = (subject: string, schema: SchemaInfo): string => `${subject}\u0000${schema.schema}`;
  return {
    async register(subject, schema) {
      const key = keyOf(subject, schema);
      let id = ids.get(key);
      if (id === undefined) {
        id = ids.size + 1;
        ids.set(key, id);
        byId.set(id, schema);
      }
      return id;
    },
    async getId(subject, schema) {
      const id = ids.get(keyOf(subject, schema));
      if (id === undefined) throw new RestError(`subject ${subject}: schema not registered`, 404, 40401);
      return id;
    },
    async getBySubjectAndId(_subject, id) {
      const schema = byId.get(id);
      if (schema === undefined) throw new RestError(`schema id ${id} not found`, 404, 40403);
      return schema;
    },
  };
}
