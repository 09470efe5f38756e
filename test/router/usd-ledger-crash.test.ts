// A router instance SIGKILLed mid-job while it holds dollar reservations: the surviving
// instance decides the same requests again (same request ids, as Kafka redelivers the
// uncommitted slices), every outcome settles at its true cost, and the sum of true costs in
// Postgres stays within the budget while using at least 90% of it (demand exceeds the budget).
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, readUsdBudgets, reserveUsd, settleUsd } from '@switchyard/store';
import type { Pool } from '@switchyard/store';
import { eventually, stack, uniqueName, withClient } from '../support/index.ts';

describe('dollar ledger: an instance killed mid-job', () => {
  const prefix = uniqueName('usdkill');
  const scope = `${prefix}:job`;
  const limitUsd = 1;
  const n = 200;
  const worst = (i: number): number => 0.01 + (i % 7) * 0.004;
  let pool: Pool;

  beforeAll(() => {
    pool = createPool({ url: stack().postgresUrl, poolMax: 3 });
  });

  afterAll(async () => {
    await pool.end();
    await withClient(stack().adminUrl, async (c) => {
      await c.query('DELETE FROM switchyard.usd_budgets WHERE scope LIKE $1', [`${prefix}%`]);
    });
  });

  it('stays within the budget and uses at least 90% of it', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/router/usd-reserver-child.ts', stack().postgresUrl, scope, String(limitUsd), prefix, String(n)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let steps = 0;
    child.stdout.on('data', (b: Buffer) => (steps += b.toString().split('\n').filter((l) => l.startsWith('step')).length));
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_code, signal) => r(signal)));
    await eventually('the child reserved and settled some slices', () => steps >= 25, 60_000);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const mid = (await readUsdBudgets(pool, [scope]))[0]!;
    expect(mid.committedUsd).toBeLessThanOrEqual(limitUsd);
    // The survivor decides every request again; those that fit run and settle at true cost.
    for (let pass = 0; pass < 3; pass++) {
      for (let from = 0; from < n; from += 10) {
        const ids = Array.from({ length: 10 }, (_, k) => from + k);
        const res = await reserveUsd(pool, ids.map((i) => ({ requestId: `${prefix}-q${i}`, holder: `survivor#${pass}-${from}`, scopes: [{ scope, limitUsd }], worstCaseUsd: worst(i) })));
        const run = ids.filter((_, k) => res[k]!.kind === 'reserved');
        const settled = run.map((i) => ({ requestId: `${prefix}-q${i}`, trueCostUsd: worst(i) * 0.6 }));
        await settleUsd(pool, settled);
      }
    }
    const rows = await withClient(stack().adminUrl, (c) =>
      c.query<{ spent: string; held: string }>(
        `SELECT coalesce(sum(amount_nano) FILTER (WHERE state = 'settled'), 0) AS spent,
                coalesce(sum(amount_nano) FILTER (WHERE state = 'reserved'), 0) AS held
           FROM switchyard.usd_reservations WHERE scope = $1`,
        [scope],
      ),
    );
    const spentUsd = Number(rows.rows[0]!.spent) / 1e9;
    const row = (await readUsdBudgets(pool, [scope]))[0]!;
    expect(spentUsd).toBeCloseTo(row.spentUsd, 9);
    expect(Number(rows.rows[0]!.held)).toBe(0);
    expect(spentUsd).toBeLessThanOrEqual(limitUsd);
    expect(spentUsd).toBeGreaterThanOrEqual(0.9 * limitUsd);
  });
});
