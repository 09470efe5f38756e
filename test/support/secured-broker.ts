// A secured broker for a test file (see @switchyard/stack startSecuredKafka): started once, with
// SCRAM users for the services and for each tenant, their passwords and the CA in files (as
// mounted secrets would be), and the ACLs of docs/operations.md granted through the admin API.
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, logLevel, ResourcePatternTypes } from 'kafkajs';
import type { AclEntry, Admin } from 'kafkajs';
import { startSecuredKafka } from '@switchyard/stack';
import type { ScramUser, SecuredKafka } from '@switchyard/stack';
import { installUnreadableBatchGuard, registerCodecs } from '@switchyard/kafka-io';

export interface SecuredBroker {
  readonly broker: SecuredKafka;
  readonly superUser: ScramUser;
  /** The services' principal (router, executors, outcome recorder). */
  readonly service: ScramUser;
  readonly tenants: Readonly<Record<string, ScramUser>>;
  /** Folder of the secret files: `<user>.password`, and the broker's CA at broker.caFile. */
  readonly secretsDir: string;
  passwordFile(user: ScramUser): string;
  /** A kafkajs client authenticated as `user`. */
  kafkaAs(user: ScramUser, clientId: string): Kafka;
  stop(): Promise<void>;
}

const password = (): string => randomBytes(18).toString('hex');

export async function startSecuredBroker(prefix: string, tenantIds: readonly string[]): Promise<SecuredBroker> {
  const dir = join(tmpdir(), `${prefix}-secured`);
  const secretsDir = join(tmpdir(), `${prefix}-secrets`);
  await mkdir(secretsDir, { recursive: true, mode: 0o700 });
  const superUser = { name: 'admin', password: password() };
  const service = { name: 'switchyard-service', password: password() };
  const tenants = Object.fromEntries(tenantIds.map((t) => [t, { name: `tenant-${t}`, password: password() }]));
  const passwordFile = (user: ScramUser): string => join(secretsDir, `${user.name}.password`);
  for (const user of [service, ...Object.values(tenants)]) await writeFile(passwordFile(user), `${user.password}\n`, { mode: 0o600 });
  const broker = await startSecuredKafka({ dir, superUser, users: [service, ...Object.values(tenants)], log: (line) => console.log(`[secured] ${line}`) });
  registerCodecs();
  installUnreadableBatchGuard();
  const kafkaAs = (user: ScramUser, clientId: string): Kafka =>
    new Kafka({ clientId, brokers: broker.brokers, ...broker.clientSecurity(user), logLevel: logLevel.NOTHING, retry: { initialRetryTime: 100, retries: 8 } });
  return {
    broker,
    superUser,
    service,
    tenants,
    secretsDir,
    passwordFile,
    kafkaAs,
    stop: async () => {
      await broker.stop();
      await rm(secretsDir, { recursive: true, force: true });
    },
  };
}

function acl(principal: string, resourceType: AclResourceTypes, resourceName: string, pattern: ResourcePatternTypes, operation: AclOperationTypes): AclEntry {
  return { principal, resourceType, resourceName, resourcePatternType: pattern, operation, host: '*', permissionType: AclPermissionTypes.ALLOW };
}

/**
 * The services may do anything on the topics, groups and transactional ids under `prefix` (the
 * names of one deployment); nothing else. docs/operations.md narrows this per service.
 */
export function serviceAcls(user: ScramUser, prefix: string): AclEntry[] {
  const p = `User:${user.name}`;
  return [AclResourceTypes.TOPIC, AclResourceTypes.GROUP, AclResourceTypes.TRANSACTIONAL_ID].map((type) => acl(p, type, prefix, ResourcePatternTypes.PREFIXED, AclOperationTypes.ALL));
}

/** A tenant may describe and write its own request topic, literally that one. */
export function tenantAcls(user: ScramUser, topic: string): AclEntry[] {
  const p = `User:${user.name}`;
  return [AclOperationTypes.WRITE, AclOperationTypes.DESCRIBE].map((op) => acl(p, AclResourceTypes.TOPIC, topic, ResourcePatternTypes.LITERAL, op));
}

export async function grant(admin: Admin, entries: AclEntry[]): Promise<void> {
  await admin.createAcls({ acl: entries });
}
