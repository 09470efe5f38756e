// Times the example queries of docs/analytics.md at volume: a scratch database gets the
// migrations, N decisions (default 10M) over 30 days, 10,000 jobs, 50 tenants and 11 models, an
// outcome for 95% of the routed ones, and the rollups the recorder would have built from them;
// then each example runs under EXPLAIN (ANALYZE, BUFFERS) with the median job, tenant and day.
// A script run by hand (it takes minutes and gigabytes), not a test:
//   node --import tsx test/analytics/scale.ts [--rows 10000000] [--keep] [--json out/analytics-scale.json]
// Reads SWITCHYARD_PG_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import pg from 'pg';
import { migrate } from '@switchyard/store';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const rows = Number(flag('rows') ?? 10_000_000);
const keep = args.includes('--keep');
const jsonOut = flag('json');
const adminUrl = process.env['SWITCHYARD_PG_ADMIN_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const database = 'switchyard_analytics_scale';
const dbUrl = (() => {
  const u = new URL(adminUrl);
  u.pathname = `/${database}`;
  return u.toString();
})();

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const result = await work();
  console.log(`${label}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return result;
}

const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
await admin.query(`CREATE DATABASE ${database}`);
await admin.end();
await migrate(dbUrl);

const db = new pg.Client({ connectionString: dbUrl, application_name: 'switchyard-analytics-scale' });
await db.connect();
await db.query('SET statement_timeout = 0');
await db.query("SET maintenance_work_mem = '512MB'");
// Secondary indexes are dropped for the load and rebuilt after it (one sort each instead of
// millions of random inserts); their definitions come from the migrations, so what is timed
// below is the schema as shipped.
const indexes = (await db.query<{ indexdef: string; indexname: string }>(
  `SELECT indexname, indexdef FROM pg_indexes i
   WHERE schemaname = 'switchyard' AND tablename IN ('decisions', 'outcomes')
     AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`,
)).rows;
for (const ix of indexes) await db.query(`DROP INDEX switchyard.${ix.indexname}`);
const DAY0 = Date.parse('2026-10-01T00:00:00Z');
// Decision i: job i % 10000, tenant (job) % 50, model i % 11, 10% deferred or rejected,
// decided at a time spread uniformly over 30 days.
await timed(`insert ${rows} decisions`, () =>
  db.query(
    `INSERT INTO switchyard.decisions (request_id, job_id, tenant, outcome, model, batch_id, fallback_rank,
       prompt_tokens, estimated_tokens, predicted_quality, predicted_cost_usd, score, dual_price, reason,
       policy, router_instance, source_topic, source_partition, source_offset, decided_at)
     SELECT 'r' || i, 'job-' || (i % 10000), 'tenant-' || (i % 10000 % 50),
       CASE WHEN i % 20 = 0 THEN 'deferred' WHEN i % 20 = 1 THEN 'rejected' ELSE 'routed' END,
       CASE WHEN i % 20 > 1 THEN 'model-' || (i % 11) END,
       CASE WHEN i % 20 > 1 THEN 'b' || (i / 16) || '-' || (i % 11) END,
       CASE WHEN i % 20 > 1 THEN (i % 7 = 0)::int END,
       50 + i % 200, 150 + i % 400, (i % 100) / 100.0, (i % 50) / 100000.0, 0.5, 0,
       CASE WHEN i % 20 = 0 THEN 'budget_exhausted' WHEN i % 20 = 1 THEN 'no_feasible_model' END,
       'resolving-dual', 'r1', 'requests', i % 6, i, to_timestamp(($1::bigint + (i::bigint * 2592000000 / $2::bigint)) / 1000.0)
     FROM generate_series(0, $2::bigint - 1) AS i`,
    [DAY0, rows],
  ),
);
await timed('insert outcomes for 95% of the routed decisions', () =>
  db.query(
    `INSERT INTO switchyard.outcomes (request_id, job_id, tenant, model, batch_id, segment, quality, reward,
       prompt_tokens, completion_tokens, latency_ms, error, cost_usd, cost_source, completed_at, completed_at_ms,
       event_digest, source_topic, source_partition, source_offset)
     SELECT d.request_id, d.job_id, d.tenant, d.model, d.batch_id, 'task-' || (d.source_offset % 3),
       CASE WHEN d.source_offset % 50 = 0 THEN NULL ELSE ((d.source_offset * 7919) % 100 < 40 + (d.source_offset % 11) * 4)::int END,
       CASE WHEN d.source_offset % 50 = 0 THEN 0 ELSE ((d.source_offset * 7919) % 100 < 40 + (d.source_offset % 11) * 4)::int END,
       d.prompt_tokens, 20 + d.source_offset % 300, 100 + d.source_offset % 2000,
       CASE WHEN d.source_offset % 50 = 0 THEN 'simulated_failure' END,
       (d.prompt_tokens + 20 + d.source_offset % 300) * 0.000001 * (1 + d.source_offset % 11), 'reported',
       d.decided_at + interval '2 seconds', (extract(epoch FROM d.decided_at + interval '2 seconds') * 1000)::bigint,
       md5(d.request_id), 'outcomes', (d.source_offset % 6)::int, d.source_offset
     FROM switchyard.decisions d
     WHERE d.outcome = 'routed' AND d.source_offset % 20 <> 19`,
  ),
);
await timed('build outcome_stats and outcome_daily as the recorder would', async () => {
  await db.query(
    `INSERT INTO switchyard.outcome_stats (model, segment, n, n_errors, n_reward, sum_reward, sum_reward_sq,
       sum_prompt_tokens, sum_completion_tokens, sum_latency_ms, n_cost, sum_cost_usd)
     SELECT model, seg, count(*), count(error), count(reward), coalesce(sum(reward::numeric), 0),
       coalesce(sum(reward::numeric * reward::numeric), 0), sum(prompt_tokens), sum(completion_tokens),
       sum(latency_ms), count(cost_usd), coalesce(sum(cost_usd::numeric), 0)
     FROM switchyard.outcomes CROSS JOIN LATERAL (VALUES ('*'), (segment)) s(seg)
     GROUP BY model, seg`,
  );
  await db.query(
    `INSERT INTO switchyard.outcome_daily (day, job_id, tenant, model, n, n_errors, n_reward, sum_reward,
       sum_prompt_tokens, sum_completion_tokens, sum_latency_ms, n_cost, sum_cost_usd)
     SELECT (completed_at AT TIME ZONE 'UTC')::date, job_id, coalesce(tenant, ''), model, count(*), count(error),
       count(reward), coalesce(sum(reward::numeric), 0), sum(prompt_tokens), sum(completion_tokens),
       sum(latency_ms), count(cost_usd), coalesce(sum(cost_usd::numeric), 0)
     FROM switchyard.outcomes GROUP BY 1, 2, 3, 4`,
  );
});
await timed(`rebuild ${indexes.length} indexes`, async () => {
  for (const ix of indexes) await db.query(ix.indexdef);
});
await timed('analyze', () => db.query('ANALYZE'));

const counts = (await db.query(
  `SELECT (SELECT count(*) FROM switchyard.decisions) AS decisions, (SELECT count(*) FROM switchyard.outcomes) AS outcomes,
          (SELECT count(*) FROM switchyard.outcome_daily) AS daily_rows, pg_size_pretty(pg_database_size(current_database())) AS size`,
)).rows[0] as Record<string, string>;
console.log(counts);

const doc = await readFile(new URL('../../docs/analytics.md', import.meta.url), 'utf8');
const examples = [...doc.matchAll(/^```sql\n([\s\S]*?)^```/gm)].map((m) => m[1]!.trim());
const vars: Record<string, string> = { job_id: 'job-4242', tenant: 'tenant-17', day: '2026-10-15' };
const bound = (sql: string): string => sql.replace(/:'([a-z_]+)'/g, (_, n: string) => `'${vars[n]}'`);
const results: { query: string; ms: number; rows: number; sharedHit: number; sharedRead: number }[] = [];
await db.query("SET default_transaction_read_only = on");
for (const sql of examples) {
  // The first run reads from disk; the second, timed, is the steady state a dashboard sees.
  await db.query(bound(sql));
  const res = await db.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${bound(sql)}`);
  const plan = (res.rows[0] as { 'QUERY PLAN': [{ 'Execution Time': number; Plan: { 'Actual Rows': number; 'Shared Hit Blocks': number; 'Shared Read Blocks': number } }] })['QUERY PLAN'][0];
  const first = sql.split('\n').find((l) => /\bFROM\b/i.test(l))?.trim() ?? sql.slice(0, 60);
  results.push({ query: first, ms: plan['Execution Time'], rows: plan.Plan['Actual Rows'], sharedHit: plan.Plan['Shared Hit Blocks'], sharedRead: plan.Plan['Shared Read Blocks'] });
}
console.log('\n| # | query (FROM line) | execution ms | rows | buffers hit / read |\n|---|---|---|---|---|');
results.forEach((r, i) => console.log(`| ${i + 1} | \`${r.query}\` | ${r.ms.toFixed(1)} | ${r.rows} | ${r.sharedHit} / ${r.sharedRead} |`));
await db.end();
if (jsonOut !== undefined) {
  await mkdir(dirname(jsonOut), { recursive: true });
  await writeFile(jsonOut, JSON.stringify({ rows, counts, vars, results }, null, 2));
}
if (!keep) {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await c.end();
}
