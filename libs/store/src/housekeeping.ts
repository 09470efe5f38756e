// Clean-up and introspection for benchmark and test runs against a shared database: rows of
// one run removed, and the server backends serving a set of application names.
import type { Queryable } from './decisions.ts';

/** Removes a finished run's job, its decisions and the budget windows of its rule-id prefix. */
export async function deleteRunRows(db: Queryable, jobId: string, ruleIdPrefix: string): Promise<void> {
  await db.query('DELETE FROM switchyard.decisions WHERE job_id = $1', [jobId]);
  await db.query('DELETE FROM switchyard.budget_usage WHERE rule_id LIKE $1', [`${ruleIdPrefix}%`]);
  await db.query('DELETE FROM switchyard.jobs WHERE job_id = $1', [jobId]);
}

/** Server pids of the backends whose application_name matches the LIKE pattern or equals `exact`. */
export async function backendPidsOf(db: Queryable, likePattern: string, exact: string): Promise<number[]> {
  const res = await db.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name LIKE $1 OR application_name = $2', [likePattern, exact]);
  return res.rows.map((r) => r.pid);
}
