// One slice's budget leases, like a Kafka transaction: take the windows the slice needs from
// the shared store, then either settle every lease taken (returning what the slice did not use)
// or abort, which gives back everything taken (the slice's records are decided again on
// redelivery, so nothing the failed attempt counted was spent). A crash between take and
// settle leaves owned leases that any instance reclaims once this owner's TTL has passed (libs/store
// budget leases).
import type { BudgetStorePort, LeaseItem } from '@switchyard/routing-engine';

export interface LeaseSession {
  /** Grants per item of `demand`, in order. */
  take(demand: readonly LeaseItem[]): Promise<number[]>;
  /** Settles every lease taken with the unused tokens it gives back. */
  settle(returns: readonly LeaseItem[]): Promise<void>;
  /** Gives back every token taken; the session is then closed. */
  abort(): Promise<void>;
}

/** null store (local ledger): nothing to lease, nothing to settle. */
export function openLeaseSession(store: BudgetStorePort | null): LeaseSession {
  let granted: LeaseItem[] = [];
  let state: 'open' | 'taken' | 'closed' = 'open';
  const close = (): boolean => {
    const wasTaken = state === 'taken';
    state = 'closed';
    return wasTaken && store !== null;
  };
  return {
    async take(demand) {
      if (state !== 'open') throw new Error(`lease session is ${state}: take runs once per slice`);
      if (store === null || demand.length === 0) return [];
      state = 'taken';
      const grants = await store.acquire(demand);
      granted = demand.map((d, i) => ({ ...d, tokens: grants[i] ?? 0 }));
      return grants;
    },
    async settle(returns) {
      if (!close() || returns.length === 0) return;
      await store!.release(returns);
    },
    async abort() {
      if (!close() || granted.length === 0) return;
      await store!.release(granted);
    },
  };
}
