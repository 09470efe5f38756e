// Thin seam over @confluentinc/schemaregistry so the serde can be unit-tested with a fake and
// so registry failures are classified in one place.
//
// The client is imported from its module file rather than the package root: the root re-exports
// every KMS driver (AWS, Azure, GCP, Vault), which costs about a second of start-up per process
// and worker for code we never call.
import { SchemaRegistryClient } from '@confluentinc/schemaregistry/dist/schemaregistry-client.js';
import type { SchemaInfo } from '@confluentinc/schemaregistry/dist/schemaregistry-client.js';
import { RestError } from '@confluentinc/schemaregistry/dist/rest-error.js';
import type { DependencyReporter } from '@switchyard/ops';
import { ContractsError } from './errors.ts';

export type { SchemaInfo };
export { RestError };

/** The registry operations the serde needs; `SchemaRegistryClient` satisfies it. */
export interface RegistryPort {
  register(subject: string, schema: SchemaInfo, normalize?: boolean): Promise<number>;
  getId(subject: string, schema: SchemaInfo, normalize?: boolean): Promise<number>;
  getBySubjectAndId(subject: string, id: number, format?: string): Promise<SchemaInfo>;
}

export interface RegistryClientOptions {
  readonly url: string;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  readonly requestTimeoutMs?: number | undefined;
  readonly maxRetries?: number | undefined;
}

export function createRegistryClient(options: RegistryClientOptions): SchemaRegistryClient {
  return new SchemaRegistryClient({
    baseURLs: [options.url],
    ...(options.username !== undefined
      ? { basicAuthCredentials: { credentialsSource: 'USER_INFO', userInfo: `${options.username}:${options.password ?? ''}` } }
      : {}),
    createAxiosDefaults: { timeout: options.requestTimeoutMs ?? 10_000 },
    maxRetries: options.maxRetries ?? 2,
  });
}

/** True when the registry answered about the request (a 4xx other than timeout or throttling): it is up. */
function registryAnswered(err: unknown): boolean {
  return err instanceof RestError && err.status >= 400 && err.status < 500 && err.status !== 408 && err.status !== 429;
}

/**
 * The registry's failure clock, told of every call: an answer (a schema, or a 4xx such as
 * "not found" or "incompatible") is a success; a network error, a timeout, a 5xx is a failure.
 */
export function reportingRegistry(registry: RegistryPort, health: DependencyReporter): RegistryPort {
  const report = async <T>(call: Promise<T>): Promise<T> => {
    try {
      const out = await call;
      health.succeeded();
      return out;
    } catch (err) {
      if (registryAnswered(err)) health.succeeded();
      else health.failed(err);
      throw err;
    }
  };
  return {
    register: (subject, schema, normalize) => report(registry.register(subject, schema, normalize)),
    getId: (subject, schema, normalize) => report(registry.getId(subject, schema, normalize)),
    getBySubjectAndId: (subject, id, format) => report(registry.getBySubjectAndId(subject, id, format)),
  };
}

export type RegistryFailure = { readonly kind: 'not_found'; readonly detail: string };

/**
 * Classifies a registry error: "schema/subject not found" is an expected outcome (the input
 * names an id we do not know); anything else is broken infrastructure and is thrown.
 * Confluent error codes: 40401 subject not found, 40403 schema not found.
 */
export function classifyRegistryError(err: unknown, what: string): RegistryFailure {
  if (err instanceof RestError) {
    if (err.status === 404) {
      return { kind: 'not_found', detail: `${what}: not found (registry error ${err.errorCode})` };
    }
    if (err.status >= 400 && err.status < 500 && err.status !== 408 && err.status !== 429) {
      throw new ContractsError('registry_rejected', `${what}: registry answered ${err.status} (${err.errorCode})`, { cause: err });
    }
  }
  throw new ContractsError('registry_unavailable', `${what}: schema registry unavailable`, { cause: err });
}
