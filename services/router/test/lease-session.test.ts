import { describe, expect, it } from 'vitest';
import type { BudgetStorePort, LeaseItem, RoutingEngine } from '@switchyard/routing-engine';
import { openLeaseSession } from '../src/lease-session.ts';
import { createSliceHandler } from '../src/slice-handler.ts';

const item = (ruleId: string, tokens: number): LeaseItem => ({ ruleId, subject: '*', windowStartMs: 0, windowMs: 60_000, limitTokens: 1_000, tokens });

function fakeStore(grant: (i: LeaseItem) => number) {
  const released: [string, number][] = [];
  const store: BudgetStorePort = {
    acquire: (items) => Promise.resolve(items.map(grant)),
    release: (items) => {
      released.push(...items.map((i): [string, number] => [i.ruleId, i.tokens]));
      return Promise.resolve();
    },
  };
  return { store, released };
}

describe('lease session', () => {
  it('settles with what the slice gives back, once', async () => {
    const { store, released } = fakeStore((i) => i.tokens);
    const s = openLeaseSession(store);
    expect(await s.take([item('a', 100), item('b', 50)])).toEqual([100, 50]);
    await s.settle([item('a', 30), item('b', 0)]);
    await s.abort();
    expect(released).toEqual([
      ['a', 30],
      ['b', 0],
    ]);
  });

  it('abort gives back every token granted, not what was asked', async () => {
    const { store, released } = fakeStore((i) => (i.ruleId === 'a' ? 40 : i.tokens));
    const s = openLeaseSession(store);
    await s.take([item('a', 100), item('b', 50)]);
    await s.abort();
    await s.settle([item('a', 1)]);
    expect(released).toEqual([
      ['a', 40],
      ['b', 50],
    ]);
  });

  it('has nothing to give back before take or without a shared store', async () => {
    const { store, released } = fakeStore((i) => i.tokens);
    await openLeaseSession(store).abort();
    const local = openLeaseSession(null);
    expect(await local.take([item('a', 10)])).toEqual([]);
    await local.abort();
    expect(released).toEqual([]);
  });

  it('refuses a second take in one slice', async () => {
    const { store } = fakeStore((i) => i.tokens);
    const s = openLeaseSession(store);
    await s.take([item('a', 1)]);
    await expect(s.take([item('a', 1)])).rejects.toThrow(/take runs once/);
  });
});

describe('slice handler when decide fails', () => {
  it('aborts the leases (every granted token back) and rethrows, so the redelivered slice leases again', async () => {
    const { store, released } = fakeStore((i) => i.tokens);
    const demand = [item('a', 100)];
    let returnsCalls = 0;
    const engine: Pick<RoutingEngine, 'prepare' | 'plan' | 'grant' | 'usdAsks' | 'decide' | 'returns'> = {
      prepare: () => Promise.resolve({ admitted: [] }) as never,
      plan: () => Promise.resolve({ demand }) as never,
      grant: () => {},
      usdAsks: () => [],
      decide: () => {
        throw new Error('decide failed');
      },
      returns: () => {
        returnsCalls++;
        return [item('a', 7)];
      },
    };
    const handle = createSliceHandler({ engine, budgetStore: store });
    await expect(handle([])).rejects.toThrow('decide failed');
    expect(released).toEqual([['a', 100]]);
    // The engine's own ledger still shrinks its grant to what it counted.
    expect(returnsCalls).toBe(1);
  });
});
