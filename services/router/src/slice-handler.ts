// One slice through the engine, in order: prepare (workers, concurrent across partitions),
// then under the budget mutex plan, read what each budgeted job's dollar ledger holds (the
// engine paces the job's dual price against it), reserve the slice's dollar worst cases, take its token
// leases, decide, settle the leases and keep the dollar reservations of what was routed; then
// the decisions are written to Postgres. The runner commits the returned messages and the input
// offset in one Kafka transaction after this returns. A failure before that releases the
// slice's dollar reservations and, if decide failed, its token leases (the records are decided
// again on redelivery).
import type { InputRecord, RoutingDecision, RoutingEngine, SliceResult } from '@switchyard/routing-engine';
import { Semaphore } from '@switchyard/routing-engine';
import type { BudgetStorePort } from '@switchyard/routing-engine';
import { openLeaseSession } from './lease-session.ts';
import { openUsdSession } from './usd-session.ts';
import type { UsdGatePort } from './usd-session.ts';

export interface SliceHandlerDeps {
  readonly engine: Pick<RoutingEngine, 'prepare' | 'plan' | 'grant' | 'usdAsks' | 'decide' | 'returns'>;
  /** null: the ledger is local to this process. */
  readonly budgetStore: BudgetStorePort | null;
  /** The shared dollar ledger; null or absent: no dollar budgets are enforced. */
  readonly usdGate?: UsdGatePort | null;
  /** Names this instance in the holder ids of its dollar reservations. */
  readonly instanceId?: string;
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
    const usd = openUsdSession(deps.usdGate ?? null, deps.instanceId ?? 'router');
    try {
      const result = await budgetMutex.with(async () => {
        const plan = await engine.plan(prepared);
        const paces = await usd.paces(prepared.admitted.map((s) => s.request.jobId));
        const verdicts = await usd.reserve(prepared.admitted.length === 0 ? [] : engine.usdAsks(prepared, paces));
        const leases = openLeaseSession(deps.budgetStore);
        engine.grant(plan.demand, await leases.take(plan.demand));
        let decided: SliceResult;
        try {
          decided = engine.decide(prepared, verdicts === undefined ? plan : { ...plan, usd: verdicts });
        } catch (err) {
          // The engine's own ledger shrinks its grants to what it counted; the shared store
          // gets every token back, since the redelivered slice is decided again.
          engine.returns(plan.demand);
          await leases.abort();
          throw err;
        }
        await leases.settle(engine.returns(plan.demand));
        await usd.keep(decided.decisions);
        return decided;
      });
      if (result.decisions.length > 0 && deps.writeDecisions) await deps.writeDecisions(result.decisions);
      return result;
    } catch (err) {
      // A release that fails too leaves the reservations held until the redelivered slice
      // reserves the same request ids again (which replaces them): under-use, never overspend.
      await usd.abort().catch(() => undefined);
      throw err;
    }
  };
}
