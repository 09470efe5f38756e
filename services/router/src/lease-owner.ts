// This incarnation's ownership of budget leases (postgres ledger): registers an owner row,
// renews it on a heartbeat, reclaims expired owners' leases on a timer, and retires the owner
// at stop. Leases themselves are taken and settled per slice (lease-session.ts).
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';
import type { BudgetStorePort, RouterConfig } from '@switchyard/routing-engine';
import { acquireBudgetLeases, heartbeatLeaseOwner, reclaimExpiredLeases, retireLeaseOwner, settleOwnedLeases } from '@switchyard/store';
import type { Pool } from '@switchyard/store';

export interface LeaseOwnership {
  readonly ownerId: string;
  readonly store: BudgetStorePort;
  stop(): Promise<void>;
}

export async function startLeaseOwnership(config: RouterConfig, pg: Pool, log: Logger, registry: Registry): Promise<LeaseOwnership> {
  const instanceId = config.switchyard.router.instanceId;
  const owner = { ownerId: `${instanceId}/${randomUUID()}`, instanceId };
  const { ttlMs, heartbeatMs, reclaimIntervalMs } = config.service.leases;
  await heartbeatLeaseOwner(pg, owner, ttlMs); // registration: "was alive" is false
  const reclaimed = new Counter({ name: 'router_budget_leases_reclaimed_tokens_total', help: 'Tokens of expired instances\' unsettled leases this instance gave back to their windows.', registers: [registry] });
  const reclaimedLeases = new Counter({ name: 'router_budget_leases_reclaimed_total', help: 'Unsettled leases of expired instances (a router that died or stalled past its lease TTL) this instance reclaimed.', registers: [registry] });
  const reclaim = async (): Promise<void> => {
    const r = await reclaimExpiredLeases(pg);
    reclaimed.inc(r.tokens);
    reclaimedLeases.inc(r.leases);
    if (r.leases > 0 || r.owners.length > 0) log.info(r, 'reclaimed budget leases of expired instances');
  };
  await reclaim();
  const heartbeat = setInterval(() => {
    heartbeatLeaseOwner(pg, owner, ttlMs).then(
      (alive) => {
        if (!alive) log.warn({ owner: owner.ownerId }, 'lease owner had expired: unsettled leases may have been reclaimed (their slices will abort and be decided again)');
      },
      (err: unknown) => log.warn({ err }, 'lease heartbeat failed'),
    );
  }, heartbeatMs);
  const reclaimer = setInterval(() => {
    reclaim().catch((err: unknown) => log.warn({ err }, 'reclaiming expired leases failed'));
  }, reclaimIntervalMs);
  return {
    ownerId: owner.ownerId,
    store: { acquire: (items) => acquireBudgetLeases(pg, items, { owner: owner.ownerId }), release: (items) => settleOwnedLeases(pg, owner.ownerId, items) },
    async stop() {
      clearInterval(heartbeat);
      clearInterval(reclaimer);
      await retireLeaseOwner(pg, owner.ownerId);
    },
  };
}
