// One slice through the engine, in order: prepare (workers, concurrent across partitions),
// then under the budget mutex plan, take the slice's leases, decide, settle them; then the
// decisions are written to Postgres. The runner commits the returned messages and the input
// offset in one Kafka transaction after this returns.
import type { InputRecord, RoutingDecision, RoutingEngine, SliceResult } from '@switchyard/routing-engine';
import { Semaphore } from '@switchyard/routing-engine';
import type { BudgetStorePort } from '@switchyard/routing-engine';
import { openLeaseSession } from './lease-session.ts';

export interface SliceHandlerDeps {
  readonly engine: Pick<RoutingEngine, 'prepare' | 'plan' | 'grant' | 'decide' | 'returns'>;
  /** null: the ledger is local to this process. */
  readonly budgetStore: BudgetStorePort | null;
  /** Writes a slice's decisions (Postgres in the router); called before the commit. */
  readonly writeDecisions?: (decisions: readonly RoutingDecision[]) => Promise<void>;
}

export type SliceHandler = (records: readonly InputRecord[]) => Promise<SliceResult>;

export function createSliceHandler(deps: SliceHandlerDeps): SliceHandler {
  // The ledger and the policy are shared across partitions, and a lease taken for one slice
  // must not be settled by another: plan..settle runs one slice at a time.
  const budgetMutex = new Semaphore(1);
  return async (records) => {
    const { engine } = deps;
    const prepared = await engine.prepare(records);
    const result = await budgetMutex.with(async () => {
      const plan = await engine.plan(prepared);
      const leases = openLeaseSession(deps.budgetStore);
      engine.grant(plan.demand, await leases.take(plan.demand));
      try {
        return engine.decide(prepared, plan);
      } finally {
        await leases.settle(engine.returns(plan.demand));
      }
    });
    if (result.decisions.length > 0 && deps.writeDecisions) await deps.writeDecisions(result.decisions);
    return result;
  };
}
