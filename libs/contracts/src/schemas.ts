// The Avro schemas in <repo>/schemas are the contract with other languages; this module loads
// them once and exposes typed handles. Versioned files are never edited in place: a new
// version is a new file and a new entry here (reader = latest, writer = from the schema id).
import { readFileSync } from 'node:fs';
import avro from 'avsc';
import { ContractsError } from './errors.ts';
import type { DeadLetterV1, DeferredV3, OutcomeV2, RequestV3, RoutedBatchV3 } from './types.ts';

export interface Contract<T> {
  readonly name: ContractName;
  readonly fileName: string;
  /** Avro full name of the record, e.g. `switchyard.v2.Request`. */
  readonly fullName: string;
  /** Schema text as registered with the registry (compact JSON of the .avsc file). */
  readonly schemaText: string;
  readonly type: avro.Type;
  /** Phantom: the decoded TypeScript shape. Never read at run time. */
  readonly __value?: T;
}

export type ContractName = 'request' | 'routedBatch' | 'outcome' | 'deadLetter' | 'deferred';

const schemasDir = new URL('../../../schemas/', import.meta.url);

function load<T>(name: ContractName, fileName: string): Contract<T> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(new URL(fileName, schemasDir), 'utf8'));
  } catch (cause) {
    throw new ContractsError('schema_load_failed', `cannot read schemas/${fileName}`, { cause });
  }
  let type: avro.Type;
  try {
    // Logical types are left unregistered on purpose: timestamp-millis decodes to a plain
    // number of epoch milliseconds, which is what the router and Postgres want.
    type = avro.Type.forSchema(parsed as avro.Schema);
  } catch (cause) {
    throw new ContractsError('schema_load_failed', `schemas/${fileName} is not a valid Avro schema`, { cause });
  }
  const fullName = type.name;
  if (fullName === undefined) {
    throw new ContractsError('schema_load_failed', `schemas/${fileName} must be a named record`);
  }
  return Object.freeze({ name, fileName, fullName, schemaText: JSON.stringify(parsed), type });
}

export const contracts = Object.freeze({
  // v2 records alias their v1 names, so v1 records (writer schema from the registry id) still
  // resolve against these readers and the registry accepts v2 as a BACKWARD-compatible version.
  // v3 keeps the v2 record names: Avro resolves records by name, so a new namespace would leave
  // every v2 reader (an executor in another language, a router mid-upgrade) unable to read v3
  // records; with the names kept and defaulted fields added, v2 and v3 read each other.
  request: load<RequestV3>('request', 'request.v3.avsc'),
  routedBatch: load<RoutedBatchV3>('routedBatch', 'routed-batch.v3.avsc'),
  outcome: load<OutcomeV2>('outcome', 'outcome.v2.avsc'),
  deadLetter: load<DeadLetterV1>('deadLetter', 'dead-letter.v1.avsc'),
  deferred: load<DeferredV3>('deferred', 'deferred.v3.avsc'),
});

/** Confluent TopicNameStrategy: the value schema of topic `t` lives under subject `t-value`. */
export function valueSubject(topic: string): string {
  return `${topic}-value`;
}
