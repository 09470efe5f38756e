import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { worstCaseCostUsd } from '@switchyard/config';
import { generateSyntheticDataset, writeJsonlDataset } from '@switchyard/datasets';
import { runRoute } from '../../src/route/command.ts';

// `route --budget-usd` in file mode: the router's engine and dollar rules over an in-memory
// ledger. Nothing settles in a file run, so the routed requests' worst cases stay within the
// budget and the requests that do not fit are dead-lettered with the reason.
describe('switchyard route --budget-usd', () => {
  let dir: string;
  const prices = {
    dear: { costPer1kPromptTokensUsd: 0.01, costPer1kCompletionTokensUsd: 0.03 },
    cheap: { costPer1kPromptTokensUsd: 0.001, costPer1kCompletionTokensUsd: 0.003 },
  };
  const sink = (): PassThrough => {
    const s = new PassThrough();
    s.resume();
    return s;
  };
  const configWith = (models: readonly object[]) => ({
    postgres: { connectionString: 'postgres://unused@localhost/unused' },
    topics: { requests: 'f.requests', deferred: 'f.deferred', deadLetter: 'f.dlq', routedTemplate: 'f.routed.{model}' },
    models,
    workers: { poolSize: 1 },
    scoring: { backend: 'ts' },
    router: { instanceId: 'file-mode', policy: { policy: 'greedy-perf' } },
    log: { level: 'warn' },
    routerService: { reference: { source: 'synthetic', nHistory: 300, seed: 2 }, embedding: { dim: 64 }, ann: { kind: 'exact', k: 5 } },
  });
  const model = (name: string, price: object) => ({ name, tokensPerMinute: 1_000_000, maxBatchTokens: 8_000, maxBatchRequests: 16, ...price });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sy-route-usd-'));
    const lines = Array.from({ length: 60 }, (_, i) => JSON.stringify({ prompt: `Explain topic ${i % 7} in detail, case ${i}`, maxOutputTokens: 300 }));
    await writeFile(join(dir, 'job.jsonl'), `${lines.join('\n')}\n`);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const route = (configFile: string, out: string, budgetUsd: number) =>
    runRoute({ in: join(dir, 'job.jsonl'), out, configFile, synthetic: false, tokensPerMinute: 1, policy: 'resolving-dual', tenant: 't1', maxOutputTokens: 256, budgetUsd, sliceRequests: 16, progress: false, env: {}, stderr: sink(), stdout: sink() });

  it("routes within the budget's worst cases and dead-letters the rest with the reason", async () => {
    const configFile = join(dir, 'priced.json');
    await writeFile(configFile, JSON.stringify(configWith([model('dear', prices.dear), model('cheap', prices.cheap)])));
    const out = join(dir, 'out');
    const budgetUsd = 0.05;
    const summary = await route(configFile, out, budgetUsd);
    expect(summary.requests).toBe(60);
    // A refusal is one rejected decision row and one dead letter with the same reason, counted
    // once, as rejected; no record went to the dead letters without a decision.
    expect(summary.routed + summary.rejected).toBe(60);
    expect(summary.deadLettered).toBe(0);
    let worstCases = 0;
    let routed = 0;
    for (const f of await readdir(join(out, 'batches'))) {
      for (const line of (await readFile(join(out, 'batches', f), 'utf8')).trim().split('\n')) {
        if (line === '') continue;
        const batch = JSON.parse(line) as { model: 'dear' | 'cheap'; requests: { promptTokens: number; maxOutputTokens: number }[] };
        for (const q of batch.requests) worstCases += worstCaseCostUsd(prices[batch.model], q.promptTokens, q.maxOutputTokens);
        routed += batch.requests.length;
      }
    }
    expect(routed).toBe(summary.routed);
    expect(worstCases).toBeLessThanOrEqual(budgetUsd + 1e-9);
    // Binding: some requests did not fit, and the budget was used rather than refused.
    expect(summary.rejectedByReason['budget_usd_exhausted']).toBeGreaterThan(0);
    expect(worstCases).toBeGreaterThan(0.8 * budgetUsd);
    const dead = (await readFile(join(out, 'dead-letters.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { reason: string });
    expect(new Set(dead.map((d) => d.reason))).toEqual(new Set(['budget_usd_exhausted']));
    expect(dead.length).toBe(summary.rejected);
  }, 240_000);

  it('refuses a config with an unpriced model, before routing anything', async () => {
    const configFile = join(dir, 'unpriced.json');
    await writeFile(configFile, JSON.stringify(configWith([model('dear', prices.dear), model('free', {})])));
    await expect(route(configFile, join(dir, 'out2'), 1)).rejects.toThrow(/--budget-usd needs a price on every model.*free/);
  }, 240_000);

  it('without a config file prices each data set model at its recorded cost per token', async () => {
    const data = join(dir, 'data.jsonl');
    await writeJsonlDataset(generateSyntheticDataset({ nHistory: 200, nTest: 10, models: 3, seed: 4 }), data);
    const out = join(dir, 'out3');
    const summary = await runRoute({ in: join(dir, 'job.jsonl'), out, data, synthetic: false, tokensPerMinute: 1_000_000, policy: 'resolving-dual', tenant: 't1', maxOutputTokens: 256, budgetUsd: 1_000, sliceRequests: 16, progress: false, env: {}, stderr: sink(), stdout: sink() });
    expect(summary.routed).toBe(60);
  }, 240_000);
});
