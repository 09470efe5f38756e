// `switchyard report <job>` on the real Postgres, opened in headless Chromium with every
// network request refused: the page must draw all its charts from the file alone.
// Chromium is found or installed by test/support/chromium.ts (Debian's `chromium` package when
// the tests run as root); where it can be neither, the browser checks are skipped with the
// command to run.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inflateSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, recordDecisions, recordOutcomes } from '@switchyard/store';
import type { DecisionRecord, OutcomeRecord, Pool } from '@switchyard/store';
import { beginJob, finishJob, loadReportData } from '@switchyard/cli';
import { findOrInstallChromium } from '../support/chromium.ts';
import { stack, uniqueName, withClient } from '../support/index.ts';

const run = promisify(execFile);
const prefix = uniqueName('clireport');
const jobId = `${prefix}-job`;
const quietJobId = `${prefix}-quiet`;
const tenant = `${prefix}-t<&>`;
// One model name needs escaping, to see it come out as text in the browser.
const [mA, mB, mC] = [`${prefix}-a`, `${prefix}-b<i>&"`, `${prefix}-c`] as const;
const models = [mA, mB, mC];
const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;

// Outcomes: [model, segment, quality]. Per segment means: a s1 = 1, s2 = 0; b s1 = 0, s2 = 1;
// c s1 = 0.5 and none in s2 (its overall mean 0.5 stands in). The job has 4 outcomes in s1 and
// 3 in s2, so on the job's segments a would score 4/7, b 3/7, c 3.5/7, and the job as routed
// scored 4.5/7: better than the best single model (a).
const executed: ReadonlyArray<readonly [string, string, number]> = [
  [mA, 's1', 1],
  [mA, 's1', 1],
  [mA, 's2', 0],
  [mB, 's1', 0],
  [mB, 's2', 1],
  [mB, 's2', 1],
  [mC, 's1', 0.5],
];
const costPerRequest: Readonly<Record<string, number>> = { [mA]: 0.002, [mB]: 0.0005, [mC]: 0.001 };

function decision(job: string, i: number, over: Partial<DecisionRecord>): DecisionRecord {
  return {
    requestId: `${job}-L${i}`,
    jobId: job,
    tenant,
    outcome: 'routed',
    model: mA,
    batchId: `${job}-batch`,
    fallbackRank: 0,
    promptTokens: 10,
    estimatedTokens: 100,
    predictedQuality: 0.6,
    predictedCostUsd: 0.001,
    score: 1,
    dualPrice: 0,
    scores: [1],
    reason: null,
    deferUntilMs: null,
    deferrals: 0,
    policy: 'resolving-dual',
    routerInstance: 'test',
    sourceTopic: `${prefix}.requests`,
    sourcePartition: 0,
    sourceOffset: String(i),
    decidedAtMs: t0,
    ...over,
  };
}

function outcome(i: number, model: string, segment: string, quality: number): OutcomeRecord {
  return {
    requestId: `${jobId}-L${i}`,
    jobId,
    tenant,
    model,
    batchId: `${jobId}-batch`,
    segment,
    quality,
    success: null,
    promptTokens: 10,
    completionTokens: 90,
    latencyMs: 5,
    error: null,
    costUsd: costPerRequest[model] ?? 0,
    costSource: 'reported',
    completedAtMs: t0 + 5 * 60_000,
    sourceTopic: `${prefix}.outcomes`,
    sourcePartition: 0,
    sourceOffset: String(i),
  };
}

/** Distinct byte values of a PNG's decompressed scanlines (a blank page has very few). */
// Flags from the project's headless runs: no sandbox (CI runs as root), no GPU, and none of the
// browser's own background traffic, so any request seen would come from the page.
function launchBrowser(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

function distinctPixelBytes(png: Buffer): number {
  expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  const idat: Buffer[] = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    if (png.toString('latin1', at + 4, at + 8) === 'IDAT') idat.push(png.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  return new Set(inflateSync(Buffer.concat(idat))).size;
}

// Decided once, before the tests are collected, so the browser checks can be skipped with the reason.
const chromiumPath = await (async (): Promise<string | null> => {
  const found = await findOrInstallChromium(process.env, (line) => console.log(`[report test] ${line}`));
  if (found.ok) return found.path;
  console.warn(`[report test] skipping the browser checks: ${found.reason}`);
  return null;
})();

describe('switchyard report', () => {
  let pool: Pool;
  let dir: string;
  let browser: Browser;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sy-report-'));
    pool = createPool({ url: stack().postgresUrl, poolMax: 2 });
    for (const id of [jobId, quietJobId]) {
      expect(await beginJob(pool, { jobId: id, tenant, source: '/data/job.jsonl', sourceFormat: 'jsonl', sourceBytes: 1234, topic: `${prefix}.requests`, submittedAtMs: t0 }, false)).toEqual({ kind: 'new' });
    }
    await finishJob(pool, jobId, 'submitted', { linesRead: 11, linesProduced: 10, linesRejected: 1 }, null);
    await finishJob(pool, quietJobId, 'submitted', { linesRead: 2, linesProduced: 2, linesRejected: 0 }, null);
    await recordDecisions(pool, [
      ...executed.map(([model], i) => decision(jobId, i, { model, decidedAtMs: t0 + (i % 3) * 60_000 + 1_000, estimatedTokens: 100 + 10 * i, predictedCostUsd: costPerRequest[model] ?? 0 })),
      decision(jobId, 7, { model: mA, decidedAtMs: t0 + 2 * 60_000 }),
      decision(jobId, 8, { outcome: 'deferred', model: null, batchId: null, fallbackRank: null, deferUntilMs: t0 + 3 * 60_000, deferrals: 1 }),
      decision(jobId, 9, { outcome: 'rejected', model: null, batchId: null, fallbackRank: null, reason: 'no_feasible_model' }),
      decision(quietJobId, 0, { model: mA, predictedQuality: 0.9 }),
      decision(quietJobId, 1, { model: mC, predictedQuality: 0.4 }),
    ]);
    await recordOutcomes(pool, executed.map(([model, segment, quality], i) => outcome(i, model, segment, quality)));
    // Model a's budget over the job's three minutes (t0 .. t0 + 2 min): 150 tokens a minute, so
    // alone it serves floor(450 / 107.5) = 4 of the job's 8 requests (a's estimates in this job:
    // 100, 110, 120 and 100). Windows outside the job's span do not count.
    await withClient(stack().adminUrl, async (c) => {
      for (const [start, limit] of [[t0 - 60_000, 10_000], [t0, 150], [t0 + 60_000, 150], [t0 + 120_000, 150], [t0 + 180_000, 10_000]] as const) {
        await c.query(
          `INSERT INTO switchyard.budget_usage (rule_id, subject, window_start_ms, window_ms, limit_tokens) VALUES ($1, $2, $3, 60000, $4)`,
          [`${prefix}-minute`, mA, start, limit],
        );
      }
    });
    if (chromiumPath !== null) browser = await launchBrowser(chromiumPath);
  });

  afterAll(async () => {
    await browser?.close();
    await pool?.end();
    await rm(dir, { recursive: true, force: true });
    await withClient(stack().adminUrl, async (c) => {
      await c.query('DELETE FROM switchyard.outcomes WHERE job_id = ANY($1)', [[jobId, quietJobId]]);
      await c.query('DELETE FROM switchyard.outcome_daily WHERE job_id = ANY($1)', [[jobId, quietJobId]]);
      await c.query('DELETE FROM switchyard.outcome_stats WHERE model = ANY($1)', [models]);
      await c.query('DELETE FROM switchyard.decisions WHERE job_id = ANY($1)', [[jobId, quietJobId]]);
      await c.query('DELETE FROM switchyard.jobs WHERE job_id = ANY($1)', [[jobId, quietJobId]]);
      await c.query('DELETE FROM switchyard.budget_usage WHERE rule_id = $1', [`${prefix}-minute`]);
    });
  });

  it('loads decisions, outcomes and the single-model comparison of a job', async () => {
    const data = await loadReportData(pool, jobId);
    expect(data).toMatchObject({ routed: 8, deferred: 1, rejected: 1, tenants: [tenant], job: { tenant, linesProduced: 10, linesRejected: 1 } });
    expect(data.models.map((m) => [m.model, m.requests, m.outcomes])).toEqual([
      [mA, 4, 3],
      [mB, 3, 3],
      [mC, 1, 1],
    ]);
    expect(data.models[1]).toMatchObject({ actualTokens: 300, meanQuality: expect.closeTo(2 / 3, 9), costUsd: expect.closeTo(0.0015, 9) });
    // Decisions 0..7 spread over three minutes: i % 3 picks the minute (7 lands in the third).
    const perMinute = (model: string): number[] => [0, 1, 2].map((k) => data.tokensPerMinute.find((b) => b.model === model && b.minuteStartMs === t0 + k * 60_000)?.tokens ?? 0);
    expect(perMinute(mA)).toEqual([100, 110, 120 + 100]);
    expect(perMinute(mB)).toEqual([130, 140, 150]);
    expect(perMinute(mC)).toEqual([160, 0, 0]);
    expect(data.quality?.rewarded).toBe(7);
    expect(data.quality?.jobMeanReward).toBeCloseTo(4.5 / 7, 9);
    expect(data.quality?.perModel.map((m) => [m.model, m.expectedMeanReward])).toEqual([
      [mA, expect.closeTo(4 / 7, 9)],
      [mB, expect.closeTo(3 / 7, 9)],
      [mC, expect.closeTo(3.5 / 7, 9)],
    ]);
    // Held to the job's budget, over its 8 requests (7 answered, 1 rejected): a serves 4 of them;
    // b and c have no budget rule, so nothing bounds them.
    expect(data.quality).toMatchObject({ requests: 8, jobMeanOverRequests: expect.closeTo(4.5 / 8, 9) });
    expect(data.quality?.perModel.map((m) => [m.model, m.servedRequests, m.meanOverRequests])).toEqual([
      [mA, 4, expect.closeTo((4 / 7) * (4 / 8), 9)],
      [mB, null, expect.closeTo(3 / 7, 9)],
      [mC, null, expect.closeTo(3.5 / 7, 9)],
    ]);
    // The analysts' regret view reaches the same best model and the same numbers.
    const regret = await pool.query<{ best_model: string; best_expected_reward: number; realized_reward: number; rewarded: string }>(
      'SELECT best_model, best_expected_reward::float8, realized_reward::float8, rewarded FROM switchyard.regret_by_job WHERE job_id = $1',
      [jobId],
    );
    expect(regret.rows[0]?.best_model).toBe(mA);
    expect((regret.rows[0]?.best_expected_reward ?? 0) / 7).toBeCloseTo(4 / 7, 9);
  });

  it('loads a job without outcomes with no quality comparison, and refuses an unknown job', async () => {
    const data = await loadReportData(pool, quietJobId);
    expect(data.quality).toBeNull();
    expect(data.models.map((m) => [m.model, m.requests, m.outcomes, m.meanQuality])).toEqual([
      [mA, 1, 0, null],
      [mC, 1, 0, null],
    ]);
    await expect(loadReportData(pool, `${prefix}-nope`)).rejects.toMatchObject({ code: 'not_found' });
  });

  it.skipIf(chromiumPath === null)('writes a report that Chromium draws with every network request refused', async () => {
    const out = join(dir, 'report.html');
    const cli = await run(process.execPath, ['services/cli/bin/switchyard.mjs', 'report', jobId, '--out', out], { env: process.env });
    expect(cli.stdout.trim()).toBe(out);

    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const refused: string[] = [];
    await context.route('**', async (route) => {
      const url = route.request().url();
      if (url.startsWith('file://')) return route.continue();
      refused.push(url);
      return route.abort();
    });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`file://${out}`, { waitUntil: 'load' });

    expect(await page.locator('h1').innerText()).toBe(`Job ${jobId}`);
    expect(await page.locator('.meta').innerText()).toContain(`Tenant ${tenant}`);
    expect(await page.locator('i').count()).toBe(0);

    const charts = ['cost-quality', 'routing-mix', 'tokens', 'quality'];
    expect(await page.locator('svg.chart').evaluateAll((els) => els.map((e) => e.getAttribute('data-chart')))).toEqual(charts);
    for (const chart of charts) {
      const marks = page.locator(`svg.chart[data-chart="${chart}"] .mark`);
      expect(await marks.evaluateAll((els) => els.map((e) => e.getAttribute('data-model')).sort()), chart).toEqual([...models].sort());
      for (const mark of await marks.all()) {
        const box = await mark.boundingBox();
        expect(box, chart).not.toBeNull();
        expect(box!.width, chart).toBeGreaterThan(0);
        expect(box!.height, chart).toBeGreaterThan(0);
      }
    }
    expect(await page.locator('.note').count()).toBe(0);

    const shot = join(dir, 'report.png');
    const png = await page.screenshot({ path: shot, fullPage: true });
    expect((await readFile(shot)).equals(png)).toBe(true);
    expect(png.length).toBeGreaterThan(10_000);
    expect(distinctPixelBytes(png)).toBeGreaterThan(64);

    expect(refused).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  });

  it.skipIf(chromiumPath === null)('renders a job without outcomes with a note instead of the quality chart', async () => {
    const out = join(dir, 'quiet.html');
    const cli = await run(process.execPath, ['services/cli/bin/switchyard.mjs', 'report', quietJobId, '--out', out], { env: process.env });
    expect(cli.stdout.trim()).toBe(out);
    const page = await browser.newPage();
    await page.goto(`file://${out}`);
    expect(await page.locator('svg.chart[data-chart="quality"]').count()).toBe(0);
    expect(await page.locator('.note').innerText()).toContain('No outcomes yet');
    expect(await page.locator('svg.chart[data-chart="cost-quality"] .mark').count()).toBe(2);
    await page.close();
  });
});
