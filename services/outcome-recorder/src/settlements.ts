// Which outcomes of a written slice settle their dollar reservations, and at what cost.
//
// The dollar ledger is settled after the slice's outcomes are in Postgres and before its
// offsets commit: a crash in between re-reads the slice, its outcomes come back as duplicates,
// and settling them again replaces the first settlement with the same cost, so the true cost
// of a request counts once. A stale event (an older version than the stored row) settles
// nothing: the stored version settled when it was written. An outcome without a cost (no
// reported cost and no configured price) settles nothing either: its reservation stays held at
// the worst case, the only amount known not to under-count.
import { latestPerRequest } from '@switchyard/store';
import type { OutcomeRecord, OutcomeWriteKind, UsdSettlement } from '@switchyard/store';

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
