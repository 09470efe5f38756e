// One slice's budget leases, like a Kafka transaction: take the windows the slice needs from
// the shared store, then settle every lease taken (returning what the slice did not use), or
// abort, which gives everything back. A crash between take and settle leaves owned leases that
// any instance reclaims once this owner's TTL has passed (libs/store budget leases).
import type { BudgetStorePort, LeaseItem } from '@switchyard/routing-engine';

export interface LeaseSession {
  /** Grants per item of `demand`, in order. */
  take(demand: readonly LeaseItem[]): Promise<number[]>;
  /** Settles every lease taken with the unused tokens it gives back. */
  settle(returns: readonly LeaseItem[]): Promise<void>;
}

/** null store (local ledger): nothing to lease, nothing to settle. */
export function openLeaseSession(store: BudgetStorePort | null): LeaseSession {
  let taken = false;
  return {
    async take(demand) {
      if (store === null || demand.length === 0) return [];
      taken = true;
      return store.acquire(demand);
    },
    async settle(returns) {
      if (store === null || !taken || returns.length === 0) return;
      await store.release(returns);
    },
  };
}
