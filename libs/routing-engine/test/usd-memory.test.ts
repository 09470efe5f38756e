import { describe, expect, it } from 'vitest';
import { InMemoryUsdGate } from '../src/usd-memory.ts';
import type { UsdAsk } from '../src/usd.ts';

// dear: worst case of 1,000 prompt + 1,000 max output tokens = 0.04 USD; cheap: 0.004 USD.
const prices = new Map([
  ['dear', { costPer1kPromptTokensUsd: 0.01, costPer1kCompletionTokensUsd: 0.03 }],
  ['cheap', { costPer1kPromptTokensUsd: 0.001, costPer1kCompletionTokensUsd: 0.003 }],
  ['free', {}],
]);
const ask = (id: string, ranked = ['dear', 'cheap'], maxOutputTokens = 1_000): UsdAsk => ({ requestId: id, jobId: 'j', tenant: 't', promptTokens: 1_000, maxOutputTokens, ranked });

describe('in-memory dollar gate (file mode)', () => {
  it('falls back to the next model that fits, then refuses with the reason; unrouted reservations come back', () => {
    const gate = new InMemoryUsdGate(0.1, prices);
    const v = gate.verdicts([ask('a'), ask('b'), ask('c'), ask('d', ['free']), ask('e', ['dear'], 100_000)]);
    expect(v.get('a')).toEqual({ kind: 'route', model: 'dear' });
    expect(v.get('b')).toEqual({ kind: 'route', model: 'dear' });
    expect(v.get('c')).toEqual({ kind: 'route', model: 'cheap' });
    expect(v.get('d')).toMatchObject({ kind: 'reject', reason: 'budget_usd_unpriced_models' });
    expect(v.get('e')).toMatchObject({ kind: 'reject', reason: 'budget_usd_too_small' });
    expect(gate.committedUsd()).toBeCloseTo(0.084, 9);
    // b was deferred by its token windows after all: its 0.04 comes back; a and c keep theirs.
    gate.keep([
      { requestId: 'a', outcome: 'routed', model: 'dear' },
      { requestId: 'b', outcome: 'deferred', model: null },
      { requestId: 'c', outcome: 'routed', model: 'cheap' },
    ]);
    expect(gate.committedUsd()).toBeCloseTo(0.044, 9);
    expect(gate.verdicts([ask('f', ['dear'])]).get('f')).toEqual({ kind: 'route', model: 'dear' });
    expect(gate.verdicts([ask('g', ['dear'])]).get('g')).toMatchObject({ kind: 'reject', reason: 'budget_usd_exhausted' });
  });

  it("with settle 'estimate' (plan) a routed request holds its estimated cost, never above its worst case", () => {
    const gate = new InMemoryUsdGate(0.1, prices, 'estimate');
    gate.verdicts([ask('a'), ask('b'), ask('c')]);
    gate.keep([
      { requestId: 'a', outcome: 'routed', model: 'dear', predictedCostUsd: 0.01 },
      { requestId: 'b', outcome: 'routed', model: 'dear', predictedCostUsd: 0.5 },
      { requestId: 'c', outcome: 'rejected', model: null, predictedCostUsd: null },
    ]);
    expect(gate.spentUsd()).toBeCloseTo(0.05, 9);
    expect(gate.committedUsd()).toBeCloseTo(0.05, 9);
    // What settling freed is there for the next requests.
    expect(gate.verdicts([ask('d')]).get('d')).toEqual({ kind: 'route', model: 'dear' });
  });

  it("with settle 'estimate' the worst case must fit, then the request holds only its estimate", () => {
    const gate = new InMemoryUsdGate(0.1, prices, 'estimate');
    // Worst case on dear 0.04, estimated 0.01: seven fit where two worst cases would not.
    const v = gate.verdicts(['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((id) => ({ ...ask(id), estimatedUsd: [0.01, 0.001] })));
    expect([...v.values()].map((x) => (x.kind === 'route' ? x.model : x.kind))).toEqual(['dear', 'dear', 'dear', 'dear', 'dear', 'dear', 'dear']);
    expect(gate.committedUsd()).toBeCloseTo(0.07, 9);
    const h = gate.verdicts([{ ...ask('h', ['dear']), estimatedUsd: [0.01] }]).get('h');
    expect(h).toMatchObject({ kind: 'reject', reason: 'budget_usd_exhausted' });
  });

  it('given true costs, the worst case must fit and the request then holds its true cost, an overrun included', () => {
    const trueCost = new Map([
      ['a', 0.005],
      ['b', 0.06],
    ]);
    const gate = new InMemoryUsdGate(0.1, prices, { trueCostUsd: (id) => trueCost.get(id) ?? Number.NaN });
    // a holds its 0.005 at once and b its 0.06 (past its 0.04 worst case): c's worst case no longer fits in the 0.035 left.
    const v = gate.verdicts([ask('a', ['dear']), ask('b', ['dear']), ask('c', ['dear'])]);
    expect([...v.values()].map((x) => x.kind)).toEqual(['route', 'route', 'reject']);
    gate.keep([
      { requestId: 'a', outcome: 'routed', model: 'dear' },
      { requestId: 'b', outcome: 'routed', model: 'dear' },
    ]);
    // b's recorded cost passed its worst case: the spend says so instead of clamping it away.
    expect(gate.spentUsd()).toBeCloseTo(0.065, 9);
    expect(gate.verdicts([ask('d', ['dear'])]).get('d')).toMatchObject({ kind: 'reject', reason: 'budget_usd_exhausted' });
  });
});
