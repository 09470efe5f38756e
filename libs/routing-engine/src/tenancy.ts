// Whose request a record is. A tenant's request topic (tenancy.tenants) is writable only by that
// tenant's principal, which the broker authenticates (SASL) and authorizes (ACLs); so the topic,
// not the body, says whose request it is. A body naming another tenant is refused (dead-lettered
// as tenant_mismatch) rather than rewritten: it is a forgery or a misconfigured client, and
// either should be seen by someone rather than silently billed. Deferred records are the
// router's own (only it may write that topic) and were checked here before they were deferred.

/** Null when the body may be believed; else why not (the dead letter's detail). */
export function forgedTenant(tenantByTopic: Readonly<Record<string, string>>, topic: string, bodyTenant: string): string | null {
  if (!Object.hasOwn(tenantByTopic, topic)) return null;
  const owner = tenantByTopic[topic]!;
  if (bodyTenant === owner) return null;
  return `record on ${topic}, the request topic of tenant "${owner}", names tenant "${bodyTenant.slice(0, 200)}" in its body`;
}
