import { describe, expect, it } from 'vitest';
import { UsdLedger, createRng, nanoUsdCeil, nanoUsdFloor, rankModels } from '@switchyard/routing-core';
import { UsdJobPacing } from '../src/usd-pacing.ts';
import type { UsdJobPace } from '../src/usd-pacing.ts';
import type { Scored } from '../src/slice.ts';

// Three models: cheap and weak, middling, dear and strong; the workers' score is the quality
// (the policy's own prices at 0), so unpaced the strongest model leads. 60 estimated tokens per request and 1,200 tokens a minute per
// model: the rate limits let the job run at 3 x 20 / 60 = 1 request a second.
const MODELS = [{ tokensPerMinute: 1_200 }, { tokensPerMinute: 1_200 }, { tokensPerMinute: 1_200 }];

function stream(n: number, seed: number): Scored[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, (_, j) => {
    const hard = rng();
    const quality = Float64Array.of(0.9 - 0.7 * hard, 0.92 - 0.4 * hard, 0.95 - 0.1 * hard);
    return {
      request: { requestId: `r${j}`, jobId: 'job' },
      quality,
      kernelScores: quality,
      costUsd: Float64Array.of(0.0002 * (1 + rng()), 0.002 * (1 + rng()), 0.02 * (1 + rng())),
      estimatedTokens: Float64Array.of(60, 60, 60),
    } as unknown as Scored;
  });
}

/**
 * Routes a job as the router does, one slice of 16 requests at a time, one request a second of
 * a fake clock: the engine ranks under the job's paced price (or the workers' scores alone when
 * `paced` is false), the dollar ledger reserves the worst case (1.5 x the estimate) of the first
 * model that fits, and the outcome settles it to the true cost (the estimate) before the next slice.
 */
function run(budgetUsd: number, opts: { paced?: boolean; deadlineMs?: number | null; expectedRequests?: number | null; instances?: number; shareDecided?: boolean } = {}) {
  const requests = stream(2_000, 7);
  // Several instances take turns with the job's slices (a consumer group's partitions); they
  // share only the ledger and, with shareDecided, the count of requests decided (Postgres).
  const pacings = Array.from({ length: opts.instances ?? 1 }, () => new UsdJobPacing(MODELS));
  const pacing = pacings[0]!;
  const ledger = new UsdLedger();
  ledger.setLimit('job', nanoUsdFloor(budgetUsd));
  const spentAfter: number[] = [];
  for (let from = 0; from < requests.length; from += 16) {
    const slice = requests.slice(from, from + 16);
    const nowMs = from * 1_000;
    const pace: UsdJobPace = {
      budgetUsd,
      committedUsd: ledger.scope('job')!.committedNano / 1e9,
      deadlineMs: opts.deadlineMs ?? null,
      expectedRequests: opts.expectedRequests === undefined ? requests.length : opts.expectedRequests,
      decidedRequests: opts.shareDecided === true ? from : null,
    };
    const own = pacings[(from / 16) % pacings.length]!;
    const scores = opts.paced === false ? slice.map(() => null) : own.scores(slice, new Map([['job', pace]]), nowMs);
    slice.forEach((s, i) => {
      for (const m of rankModels(scores[i] ?? s.kernelScores)) {
        const r = ledger.reserve({ requestId: s.request.requestId, holder: 'h', scopes: ['job'], amountNano: nanoUsdCeil(1.5 * s.costUsd[m]!) });
        if (r.kind !== 'reserved') continue;
        ledger.settle(s.request.requestId, nanoUsdCeil(s.costUsd[m]!));
        break;
      }
      spentAfter.push(ledger.scope('job')!.spentNano / 1e9);
    });
  }
  return { spentAfter, spent: spentAfter.at(-1)!, pacing };
}

describe('UsdJobPacing (a job dollar budget in the engine)', () => {
  it('spreads a binding budget over the job: at least 90% used, never more than 100%, not run dry early', () => {
    const budget = 8;
    const { spentAfter, spent, pacing } = run(budget);
    expect(spent).toBeLessThanOrEqual(budget);
    expect(spent).toBeGreaterThanOrEqual(0.9 * budget);
    expect(spentAfter[999]! / spent).toBeGreaterThan(0.35);
    expect(spentAfter[999]! / spent).toBeLessThan(0.65);
    expect(pacing.gamma('job')).toBeGreaterThan(0);
  });

  it('without pacing the same budget is spent first come, first served and runs dry before half the job', () => {
    const { spentAfter } = run(8, { paced: false });
    expect(spentAfter[999]!).toBeGreaterThanOrEqual(0.99 * 8);
  });

  it('paces one budget shared by two instances over the whole job when they share the decided count', () => {
    const budget = 8;
    const { spentAfter, spent } = run(budget, { instances: 2, shareDecided: true });
    expect(spent).toBeLessThanOrEqual(budget);
    expect(spent).toBeGreaterThanOrEqual(0.9 * budget);
    expect(spentAfter[999]! / spent).toBeGreaterThan(0.35);
    expect(spentAfter[999]! / spent).toBeLessThan(0.65);
    // Each counting only the half it saw, both think half the job is still to come at its end.
    const blind = run(budget, { instances: 2, shareDecided: false });
    expect(blind.spent).toBeLessThan(0.85 * budget);
  });

  it('does not count a request back from the deferred topic again, however often it comes back', () => {
    const requests = stream(400, 3);
    const pace: UsdJobPace = { budgetUsd: 0.5, committedUsd: 0, deadlineMs: null, expectedRequests: 400 };
    const once = new UsdJobPacing(MODELS);
    once.scores(requests.slice(0, 100), new Map([['job', pace]]), 0);
    const again = new UsdJobPacing(MODELS);
    again.scores(requests.slice(0, 100), new Map([['job', pace]]), 0);
    const deferred = requests.slice(0, 100).map((s) => ({ ...s, deferrals: 3 }) as Scored);
    for (let round = 0; round < 10; round++) again.scores(deferred, new Map([['job', pace]]), 0);
    // Then the next fresh requests: both pacers see the job at the same point.
    const next = requests.slice(100, 200);
    expect(again.scores(next, new Map([['job', pace]]), 0)).toEqual(once.scores(next, new Map([['job', pace]]), 0));
    expect(once.gamma('job')).toBeGreaterThan(0);
  });

  it('re-prices a slice of deferred requests when the ledger has moved since (worst cases settled to true costs)', () => {
    const requests = stream(400, 5);
    const pacing = new UsdJobPacing(MODELS);
    const pace = (committedUsd: number): Map<string, UsdJobPace> => new Map([['job', { budgetUsd: 1, committedUsd, deadlineMs: null, expectedRequests: 400 }]]);
    // Most of the budget held by worst-case reservations: the price is high.
    pacing.scores(requests.slice(0, 100), pace(0.9), 0);
    const held = pacing.gamma('job');
    // The outcomes settled far below their worst cases; only requests back from the deferred topic come.
    pacing.scores(requests.slice(0, 50).map((s) => ({ ...s, deferrals: 1 }) as Scored), pace(0.2), 1_000);
    expect(pacing.gamma('job')).toBeLessThan(held);
  });

  it('leaves the ranking alone when the budget does not bind', () => {
    const { pacing, spent } = run(1_000);
    expect(pacing.gamma('job')).toBe(0);
    expect(spent).toBeGreaterThan(0);
  });

  it('a deadline past the end of the job changes nothing: the stream sets the pace', () => {
    const without = run(8);
    const late = run(8, { deadlineMs: 10_000_000 });
    expect(late.spentAfter).toEqual(without.spentAfter);
  });

  it('a deadline that leaves time for half the job doubles the pace: the budget goes to the half that can run', () => {
    // 1 request a second under the rate limits, 1,000 seconds to the deadline, 2,000 requests.
    const { spentAfter } = run(8, { deadlineMs: 1_000_000 });
    const undeadlined = run(8).spentAfter;
    expect(spentAfter[999]!).toBeGreaterThanOrEqual(0.9 * 8);
    expect(spentAfter[999]!).toBeLessThanOrEqual(8);
    expect(spentAfter[499]! / undeadlined[499]!).toBeGreaterThan(1.6);
  });

  it('with neither the job size nor a deadline known, it does not price the budget', () => {
    const { pacing } = run(8, { expectedRequests: null });
    expect(pacing.gamma('job')).toBe(0);
  });
});
