// Child process of usd-ledger-crash.test.ts: a router instance's dollar traffic (reserve a
// slice, settle it at true cost), printing one line per committed step, until it is killed.
import { createPool, reserveUsd, settleUsd } from '@switchyard/store';

const [url, scope, limit, prefix, count] = process.argv.slice(2) as [string, string, string, string, string];
const pool = createPool({ url, poolMax: 2 });
const n = Number(count);
const worst = (i: number): number => 0.01 + (i % 7) * 0.004;
for (let from = 0; ; from = (from + 5) % n) {
  const ids = Array.from({ length: 5 }, (_, k) => (from + k) % n);
  const res = await reserveUsd(pool, ids.map((i) => ({ requestId: `${prefix}-q${i}`, holder: `child#${from}`, scopes: [{ scope, limitUsd: Number(limit) }], worstCaseUsd: worst(i) })));
  const ok = ids.filter((_, k) => res[k]!.kind === 'reserved');
  if (from % 10 === 0) await settleUsd(pool, ok.map((i) => ({ requestId: `${prefix}-q${i}`, trueCostUsd: worst(i) * 0.5 })));
  process.stdout.write(`step ${from}\n`);
}
