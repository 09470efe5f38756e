// Owned budget leases on the real Postgres: an instance that takes a lease and dies before
// settling it has the lease's tokens reclaimed once its heartbeat TTL has passed (while a live
// owner keeps its leases), tokens already used by settled slices stay counted, a slow owner
// whose lease was reclaimed cannot settle it, and under concurrent leasing, crashes and
// reclaims the tokens spent by settled slices never exceed a window's limit.
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@switchyard/config';
import { compileRouterConfig, parseRouterServiceConfig, startRouter } from '@switchyard/router';
import {
  StoreError,
  acquireBudgetLeases,
  createPool,
  heartbeatLeaseOwner,
  readBudgetUsage,
  readOwnedLeases,
  reclaimExpiredLeases,
  retireLeaseOwner,
  settleOwnedLeases,
} from '@switchyard/store';
import type { BudgetLease, Pool } from '@switchyard/store';
import { createKafka, eventually, stack, uniqueName, withClient } from '../support/index.ts';

describe('budget leases: ownership, expiry and reclaim', () => {
  const prefix = uniqueName('lease');
  let pool: Pool;
  let n = 0;
  const window = (limitTokens: number): Omit<BudgetLease, 'tokens'> => ({
    ruleId: `${prefix}:model:m${n++}:minute`,
    subject: 'm',
    windowStartMs: 600_000,
    windowMs: 60_000,
    limitTokens,
  });
  const owner = (name: string) => ({ ownerId: `${prefix}/${name}/${n++}`, instanceId: `${prefix}-${name}` });
  const used = async (ruleId: string): Promise<number> => {
    const rows = await readBudgetUsage(pool, 0);
    return rows.find((r) => r.ruleId === ruleId)?.usedTokens ?? 0;
  };

  beforeAll(() => {
    pool = createPool({ url: stack().postgresUrl, poolMax: 6 });
  });

  afterAll(async () => {
    await pool.end();
    await withClient(stack().adminUrl, async (c) => {
      await c.query('DELETE FROM switchyard.budget_leases WHERE owner_id LIKE $1', [`${prefix}%`]);
      await c.query('DELETE FROM switchyard.lease_owners WHERE owner_id LIKE $1', [`${prefix}%`]);
      await c.query('DELETE FROM switchyard.budget_usage WHERE rule_id LIKE $1', [`${prefix}%`]);
    });
  });

  it("reclaims a crashed owner's unsettled lease after its TTL, and only then", async () => {
    const w = window(1_000);
    const live = owner('live');
    const crashed = owner('crashed');
    await heartbeatLeaseOwner(pool, live, 600_000);
    await heartbeatLeaseOwner(pool, crashed, 300);
    expect(await acquireBudgetLeases(pool, [{ ...w, tokens: 400 }], { owner: crashed.ownerId })).toEqual([400]);
    expect(await acquireBudgetLeases(pool, [{ ...w, tokens: 250 }], { owner: live.ownerId })).toEqual([250]);
    expect(await used(w.ruleId)).toBe(650);
    // The crashed owner never renews: once its TTL has passed, a reclaim gives its 400 back.
    await eventually('the crashed owner to be reclaimed', async () => (await reclaimExpiredLeases(pool)).owners.includes(crashed.ownerId), 30_000);
    expect(await used(w.ruleId)).toBe(250);
    expect(await readOwnedLeases(pool, crashed.ownerId)).toEqual([]);
    // The live owner's lease is untouched and settles normally (100 of 250 unused).
    expect((await readOwnedLeases(pool, live.ownerId)).map((l) => l.tokens)).toEqual([250]);
    await settleOwnedLeases(pool, live.ownerId, [{ ...w, tokens: 100 }]);
    expect(await used(w.ruleId)).toBe(150);
    // The freed tokens can be leased again, up to the limit and no further.
    expect(await acquireBudgetLeases(pool, [{ ...w, tokens: 2_000 }], { owner: live.ownerId })).toEqual([850]);
    await retireLeaseOwner(pool, live.ownerId);
    expect(await used(w.ruleId)).toBe(150);
  });

  it('keeps tokens used by settled slices counted, and refuses the late settle of a reclaimed lease', async () => {
    const w = window(1_000);
    const slow = owner('slow');
    await heartbeatLeaseOwner(pool, slow, 600_000);
    await acquireBudgetLeases(pool, [{ ...w, tokens: 400 }], { owner: slow.ownerId });
    await settleOwnedLeases(pool, slow.ownerId, [{ ...w, tokens: 100 }]); // 300 used for good
    await acquireBudgetLeases(pool, [{ ...w, tokens: 200 }], { owner: slow.ownerId });
    expect(await used(w.ruleId)).toBe(500);
    // Its heartbeat lapses (a renewal with TTL 0 expires it at once): the unsettled 200 go back.
    await heartbeatLeaseOwner(pool, slow, 0);
    const r = await reclaimExpiredLeases(pool);
    expect(r.owners).toContain(slow.ownerId);
    expect(await used(w.ruleId)).toBe(300);
    // The owner was only slow: settling what was reclaimed fails and changes nothing.
    const err = await settleOwnedLeases(pool, slow.ownerId, [{ ...w, tokens: 50 }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('lease_lost');
    expect(await used(w.ruleId)).toBe(300);
    // Renewing tells it that it had expired (and was forgotten); renewing again, that it is alive.
    expect(await heartbeatLeaseOwner(pool, slow, 600_000)).toBe(false);
    expect(await heartbeatLeaseOwner(pool, slow, 600_000)).toBe(true);
    await retireLeaseOwner(pool, slow.ownerId);
  });

  it('never lets settled spend of two instances exceed the limit, whatever crashes and reclaims happen', async () => {
    const step = fc.record({ tokens: fc.integer({ min: 0, max: 400 }), usedPct: fc.integer({ min: 0, max: 100 }), pause: fc.boolean() });
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 100, max: 1_500 }),
        fc.array(step, { minLength: 1, maxLength: 8 }),
        fc.array(step, { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 8 }),
        fc.boolean(),
        async (limit, stepsA, stepsB, crashAt, slowNotDead) => {
          const w = window(limit);
          const a = owner('a');
          const b = owner('b');
          await heartbeatLeaseOwner(pool, a, 600_000);
          await heartbeatLeaseOwner(pool, b, 600_000);
          // Spend that survives: tokens used by slices whose settle succeeded.
          let spent = 0;
          let aHolds = false;
          const runA = async (): Promise<void> => {
            for (let i = 0; i < stepsA.length; i++) {
              const s = stepsA[i]!;
              // Its heartbeat lapses here: it either crashed, or is only slow and goes on
              // leasing and settling under an expired owner (B may reclaim at any moment).
              if (i === crashAt) await heartbeatLeaseOwner(pool, a, 0);
              const [g] = await acquireBudgetLeases(pool, [{ ...w, tokens: s.tokens }], { owner: a.ownerId });
              if (i === crashAt && !slowNotDead) {
                aHolds = true; // crashed holding an unsettled lease
                return;
              }
              const use = Math.floor((g! * s.usedPct) / 100);
              // A slow A pauses between leasing and settling often enough for B to reclaim in between.
              if (slowNotDead && i >= crashAt && s.pause) await reclaimExpiredLeases(pool);
              try {
                await settleOwnedLeases(pool, a.ownerId, [{ ...w, tokens: g! - use }]);
                spent += use;
              } catch (e) {
                // Reclaimed first: the slice aborts in the router, so its use is not spent.
                if (!(e instanceof StoreError && e.code === 'lease_lost')) throw e;
              }
            }
          };
          const runB = async (): Promise<void> => {
            for (const s of stepsB) {
              await reclaimExpiredLeases(pool);
              const [g] = await acquireBudgetLeases(pool, [{ ...w, tokens: s.tokens }], { owner: b.ownerId });
              const use = Math.floor((g! * s.usedPct) / 100);
              await settleOwnedLeases(pool, b.ownerId, [{ ...w, tokens: g! - use }]);
              spent += use;
            }
            await reclaimExpiredLeases(pool);
          };
          await Promise.all([runA(), runB()]);
          const outstanding = (await readOwnedLeases(pool)).filter((l) => l.ruleId === w.ruleId).reduce((x, l) => x + l.tokens, 0);
          const u = await used(w.ruleId);
          // Exact accounting: the window counts settled spend plus what is still leased.
          expect(u).toBe(spent + outstanding);
          expect(u).toBeLessThanOrEqual(limit);
          expect(spent).toBeLessThanOrEqual(limit);
          await reclaimExpiredLeases(pool);
          if (aHolds || slowNotDead) expect(await readOwnedLeases(pool, a.ownerId)).toEqual([]);
          expect(await used(w.ruleId)).toBe(spent);
          await retireLeaseOwner(pool, b.ownerId);
          await retireLeaseOwner(pool, a.ownerId);
        },
      ),
      { numRuns: 15 },
    );
  });
});

describe('router: lease owner lifecycle', () => {
  const prefix = uniqueName('leaserouter');
  const model = `${prefix}-m`;
  let pool: Pool;

  beforeAll(() => {
    pool = createPool({ url: stack().postgresUrl, poolMax: 2 });
  });

  afterAll(async () => {
    await pool.end();
    const admin = createKafka(prefix).admin();
    await admin.connect();
    const all = await admin.listTopics();
    await admin.deleteTopics({ topics: all.filter((t) => t.startsWith(prefix)) }).catch(() => undefined);
    await admin.disconnect();
    await withClient(stack().adminUrl, async (c) => {
      await c.query('DELETE FROM switchyard.budget_leases WHERE owner_id LIKE $1', [`${prefix}%`]);
      await c.query('DELETE FROM switchyard.lease_owners WHERE owner_id LIKE $1', [`${prefix}%`]);
      await c.query('DELETE FROM switchyard.budget_usage WHERE rule_id LIKE $1', [`%${prefix}%`]);
    });
  });

  it("registers while running, reclaims a dead instance's leases on its own timer, and retires on stop", async () => {
    const info = stack();
    const shared = loadConfig(
      {},
      {
        kafka: { brokers: info.kafkaBrokers, clientId: prefix },
        registry: { url: info.registryUrl },
        postgres: { connectionString: info.postgresUrl, maxConnections: 3 },
        topics: { requests: `${prefix}.requests`, deferred: `${prefix}.deferred`, deadLetter: `${prefix}.dlq`, routedTemplate: `${prefix}.routed.{model}`, partitions: 1, replicationFactor: 1 },
        models: [{ name: model, tokensPerMinute: 10_000, maxBatchTokens: 5_000, maxBatchRequests: 10 }],
        workers: { poolSize: 1 },
        scoring: { backend: 'ts' },
        router: { instanceId: `${prefix}-live`, policy: { policy: 'greedy-perf' } },
        log: { level: 'warn' },
      },
    );
    const service = parseRouterServiceConfig({
      reference: { source: 'synthetic', nHistory: 100, seed: 3 },
      embedding: { dim: 32 },
      ann: { kind: 'exact', k: 5 },
      ledger: 'postgres',
      httpPort: 0,
      httpHost: '127.0.0.1',
      feedback: { enabled: false },
      leases: { ttlMs: 3_000, heartbeatMs: 500, reclaimIntervalMs: 300 },
    });
    // A dead instance of the same deployment: it took 4,000 tokens of the model's window and
    // stopped renewing its owner row.
    const dead = { ownerId: `${prefix}-dead/1`, instanceId: `${prefix}-dead` };
    await heartbeatLeaseOwner(pool, dead, 200);
    const w = { ruleId: `model:${model}:minute`, subject: model, windowStartMs: Math.floor(Date.now() / 60_000) * 60_000 + 3_600_000, windowMs: 60_000, limitTokens: 10_000 };
    expect(await acquireBudgetLeases(pool, [{ ...w, tokens: 4_000 }], { owner: dead.ownerId })).toEqual([4_000]);

    const router = await startRouter(compileRouterConfig(shared, service), { logger: pino({ level: 'warn' }), defaultMetrics: false });
    try {
      const me = router.leaseOwner!;
      expect(me.startsWith(`${prefix}-live/`)).toBe(true);
      const owners = async (): Promise<string[]> =>
        withClient(info.adminUrl, async (c) => (await c.query<{ owner_id: string }>('SELECT owner_id FROM switchyard.lease_owners WHERE owner_id LIKE $1', [`${prefix}%`])).rows.map((r) => r.owner_id));
      await eventually('the dead instance to be reclaimed by the router', async () => (await readOwnedLeases(pool, dead.ownerId)).length === 0, 30_000);
      expect((await readBudgetUsage(pool, 0)).find((u) => u.ruleId === w.ruleId)?.usedTokens).toBe(0);
      expect(await owners()).toEqual([me]);
      // It stays registered beyond several TTLs: the heartbeat renews it.
      await new Promise((r) => setTimeout(r, 6_500));
      expect(await owners()).toEqual([me]);
      await router.stop();
      expect(await owners()).toEqual([]);
    } finally {
      await router.stop();
    }
  });
});
