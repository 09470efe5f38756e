import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPlan } from '../../src/plan/command.ts';

// `switchyard plan` on the router's real engine in file mode, over a generated reference set
// and a small generated job: the quote's fields, its consistency, and the budget it respects.
describe('switchyard plan', () => {
  let dir: string;
  const model = (name: string, per1k: number) => ({ name, tokensPerMinute: 20_000, maxBatchTokens: 8_000, maxBatchRequests: 16, costPer1kPromptTokensUsd: per1k, costPer1kCompletionTokensUsd: per1k });
  const sink = (): PassThrough => {
    const s = new PassThrough();
    s.resume();
    return s;
  };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sy-plan-'));
    const lines = Array.from({ length: 80 }, (_, i) => JSON.stringify({ prompt: `Explain topic ${i % 9} in detail, case ${i}`, maxOutputTokens: 200 }));
    await writeFile(join(dir, 'job.jsonl'), `${lines.join('\n')}\n`);
    await writeFile(
      join(dir, 'router.json'),
      JSON.stringify({
        postgres: { connectionString: 'postgres://unused@localhost/unused' },
        topics: { requests: 'p.requests', deferred: 'p.deferred', deadLetter: 'p.dlq', routedTemplate: 'p.routed.{model}' },
        models: [model('m0', 0.01), model('m1', 0.002), model('m2', 0.0005)],
        workers: { poolSize: 1 },
        scoring: { backend: 'ts' },
        router: { instanceId: 'plan', policy: { policy: 'resolving-dual' } },
        log: { level: 'warn' },
        routerService: { reference: { source: 'synthetic', nHistory: 300, seed: 2 }, embedding: { dim: 64 }, ann: { kind: 'exact', k: 5 } },
      }),
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const plan = (budgetUsd: number, extra: { deadline?: string; jsonOut?: string } = {}) => {
    const stdout = new PassThrough();
    let text = '';
    stdout.on('data', (c: Buffer) => (text += c.toString('utf8')));
    return runPlan({
      in: join(dir, 'job.jsonl'),
      configFile: join(dir, 'router.json'),
      synthetic: false,
      tokensPerMinute: 1,
      policy: 'resolving-dual',
      env: {},
      budgetUsd,
      ...extra,
      jobId: 'plan-job',
      tenant: 't1',
      maxOutputTokens: 256,
      sliceRequests: 16,
      nowMs: Date.UTC(2026, 0, 1),
      stderr: sink(),
      stdout,
    }).then((json) => ({ json, text }));
  };

  it('prints and writes the quote: cost within the budget, a mix that adds up, each model alone, a finish time', async () => {
    const jsonOut = join(dir, 'plan.json');
    const { json, text } = await plan(1, { jsonOut, deadline: '2h' });
    const written = JSON.parse(await readFile(jsonOut, 'utf8')) as Record<string, unknown>;
    for (const key of ['predictedCostUsd', 'predictedQuality', 'models', 'singleModel', 'finishSeconds']) expect(written).toHaveProperty(key);
    expect(written).toEqual(JSON.parse(JSON.stringify(json)));
    expect(json.requests).toBe(80);
    expect(json.routed + json.notRouted).toBe(80);
    expect(json.models.reduce((a, m) => a + m.requests, 0)).toBe(json.routed);
    expect(json.models.reduce((a, m) => a + m.predictedCostUsd, 0)).toBeCloseTo(json.predictedCostUsd, 12);
    expect(json.predictedCostUsd).toBeGreaterThan(0);
    expect(json.predictedCostUsd).toBeLessThanOrEqual(1);
    expect(json.predictedQuality).toBeGreaterThan(0);
    expect(json.singleModel.map((m) => m.name)).toEqual(['m0', 'm1', 'm2']);
    expect(json.finishSeconds).toBeGreaterThan(0);
    expect(json.deadlineMs).toBe(Date.UTC(2026, 0, 1) + 7_200_000);
    expect(text).toContain('quote: $');
    expect(text).toContain('one model alone');
  }, 240_000);

  it('under a binding budget quotes less spend than under a loose one and never more than the budget', async () => {
    const loose = (await plan(1_000)).json;
    const tightBudget = loose.predictedCostUsd / 3;
    const tight = (await plan(tightBudget)).json;
    expect(tight.predictedCostUsd).toBeLessThanOrEqual(tightBudget);
    expect(tight.predictedCostUsd).toBeLessThan(loose.predictedCostUsd);
    // The budget is spread, not refused: most of it is quoted as spent.
    expect(tight.predictedCostUsd).toBeGreaterThanOrEqual(0.5 * tightBudget);
  }, 240_000);
});
