// Which outcomes of a written slice settle their dollar reservations, and at what cost.
//
// The dollar ledger is settled after the slice's outcomes are in Postgres and before its
// offsets commit: a crash in between re-reads the slice, its outcomes come back as duplicates,
// and settling them again replaces the first settlement with the same cost, so the true cost
// of a request counts once. A stale event (an older version than the stored row) settles
// nothing: the stored version settled when it was written. An outcome without a cost (no
// reported cost and no configured price) settles nothing either: its reservation stays held at
// the worst case, the only amount known not to under-count.
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import { latestPerRequest, settleUsd } from '@switchyard/store';
import type { OutcomeRecord, OutcomeWriteKind, Pool, UsdSettlement } from '@switchyard/store';

export function settlementsOf(rows: readonly OutcomeRecord[], byRequest: ReadonlyMap<string, OutcomeWriteKind>): { settle: UsdSettlement[]; unpriced: number } {
  const settle: UsdSettlement[] = [];
  let unpriced = 0;
  for (const { record } of latestPerRequest(rows).kept) {
    const kind = byRequest.get(record.requestId);
    if (kind === undefined || kind === 'stale') continue;
    if (record.costUsd === null || !Number.isFinite(record.costUsd)) unpriced++;
    else settle.push({ requestId: record.requestId, trueCostUsd: Math.max(0, record.costUsd) });
  }
  return { settle, unpriced };
}

/**
 * Settles the dollar reservations of a slice's written outcomes (after recordOutcomes, before
 * the slice's offsets commit). Overruns (true cost above the worst case reserved) are logged
 * and counted, never hidden.
 */
export async function settleSlice(pool: Pool, rows: readonly OutcomeRecord[], byRequest: ReadonlyMap<string, OutcomeWriteKind>, usd: Counter, log: Logger): Promise<void> {
  const { settle, unpriced } = settlementsOf(rows, byRequest);
  const settled = await settleUsd(pool, settle);
  const overruns = settled.flatMap((r, i) => (r.overrunNano > 0 ? [{ requestId: settle[i]!.requestId, overrunUsd: r.overrunNano / 1e9 }] : []));
  if (overruns.length > 0) log.error({ overruns: overruns.slice(0, 10), count: overruns.length }, 'true cost above the dollar reservation: an executor did not honour max output tokens');
  usd.inc({ result: 'settled' }, settled.filter((r) => r.kind === 'settled').length);
  usd.inc({ result: 'overrun' }, overruns.length);
  usd.inc({ result: 'unpriced' }, unpriced);
}
