import { describe, expect, it } from 'vitest';
import { sampleOutcome } from '@switchyard/contracts';
import type { OutcomeWriteKind } from '@switchyard/store';
import { settlementsOf, toOutcomeRecord } from '../src/index.ts';

const prices = { costPer1kPromptTokensUsd: 0.5, costPer1kCompletionTokensUsd: 1.5 };
const source = { topic: 'outcomes', partition: 0, offset: '1' };
const rec = (requestId: string, costUsd: number | null, completedAtMs = 1_000) =>
  toOutcomeRecord(sampleOutcome({ requestId, costUsd, completedAt: completedAtMs }), null, costUsd === null ? {} : prices, source);

describe('settlementsOf', () => {
  it('settles written and duplicate outcomes at their cost, not stale ones', () => {
    const rows = [rec('a', 0.2), rec('b', 0.3), rec('c', 0.4)];
    const kinds = new Map<string, OutcomeWriteKind>([['a', 'inserted'], ['b', 'duplicate'], ['c', 'stale']]);
    expect(settlementsOf(rows, kinds)).toEqual({ settle: [{ requestId: 'a', trueCostUsd: 0.2 }, { requestId: 'b', trueCostUsd: 0.3 }], unpriced: 0 });
  });

  it('settles the newest version of a request once, and leaves an outcome without cost held', () => {
    const rows = [rec('a', 0.2, 1_000), rec('a', 0.5, 2_000), rec('n', null)];
    const kinds = new Map<string, OutcomeWriteKind>([['a', 'replaced'], ['n', 'inserted']]);
    expect(settlementsOf(rows, kinds)).toEqual({ settle: [{ requestId: 'a', trueCostUsd: 0.5 }], unpriced: 1 });
  });
});
