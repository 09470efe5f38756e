// `npm start -- --budget-usd X` end to end on the real stack, as a user runs it: the demo quotes
// the job with switchyard plan, runs it under that budget through the router, executor-openai
// and the outcome recorder, and writes summary.json and the report. Checked: the true spend
// (the outcomes' costs in Postgres) stays within the budget and agrees with the dollar ledger,
// every request is counted as answered or not, and the report has the budget-use chart. How far
// the quote was from the spend is printed, not asserted: it is the estimates' error, which the
// benchmark measures.
import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createKafka, stack, withClient } from '../support/index.ts';

const REQUESTS = 60;
const BUDGET_USD = 0.004;

function runDemo(args: readonly string[], timeoutMs: number): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'services/demo/src/main.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', () => undefined);
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout });
    });
  });
}

describe('demo under a dollar budget', () => {
  let outDir = '';
  let jobId = '';

  afterAll(async () => {
    if (jobId !== '') {
      const runId = jobId.replace(/-job$/, '');
      const admin = createKafka(runId).admin();
      await admin.connect();
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${runId}.`));
      await admin.deleteTopics({ topics }).catch(() => undefined);
      await admin.disconnect();
      await withClient(stack().adminUrl, async (c) => {
        await c.query('DELETE FROM switchyard.usd_budgets WHERE scope = $1', [`job:${jobId}`]);
        for (const table of ['decisions', 'outcomes', 'outcome_daily', 'outcome_labels', 'results']) await c.query(`DELETE FROM switchyard.${table} WHERE job_id = $1`, [jobId]);
        await c.query('DELETE FROM switchyard.jobs WHERE job_id = $1', [jobId]);
      });
    }
    if (outDir !== '') await rm(outDir, { recursive: true, force: true });
  });

  it('plans, runs within the budget, and writes summary.json and the budget chart', async () => {
    const { code, stdout } = await runDemo(['--synthetic', '--limit', String(REQUESTS), '--budget-usd', String(BUDGET_USD), '--timeout', '240'], 420_000);
    const path = /(\S+\/summary\.json)\s*$/m.exec(stdout)?.[1];
    expect(path, stdout.slice(-2_000)).toBeDefined();
    outDir = dirname(path!);
    expect(code, stdout.slice(-2_000)).toBe(0);
    expect(stdout).toContain('4/5 plan: quoting the job');
    const s = JSON.parse(await readFile(path!, 'utf8')) as Record<string, number | string | null>;
    jobId = String(s['jobId']);
    console.log(`[budget demo] ${JSON.stringify(s)}`);
    expect(s['budgetUsd']).toBe(BUDGET_USD);
    expect(s['requests']).toBe(REQUESTS);
    expect(Number(s['results']) + Number(s['errors'])).toBe(REQUESTS);
    const spent = Number(s['spentUsd']);
    expect(spent).toBeGreaterThan(0);
    expect(spent).toBeLessThanOrEqual(BUDGET_USD);
    // The ledger settled the same outcomes (to the nano-dollar, rounded up).
    expect(Math.abs(Number(s['ledgerSpentUsd']) - spent)).toBeLessThan(1e-6 * REQUESTS);
    expect(Number(s['quotedCostUsd'])).toBeGreaterThan(0);
    expect(Number(s['quotedCostUsd'])).toBeLessThanOrEqual(BUDGET_USD);
    const report = await readFile(`${outDir}/report.html`, 'utf8');
    expect(report).toContain('data-chart="budget"');
  }, 480_000);
});
