import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRoute } from '../../src/route/command.ts';

// The router's real engine (reference set, scoring workers, policy, window budgets, batch
// packer) in file mode, on a generated reference set: no stand-ins below the file loop.
describe('switchyard route with the router engine', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sy-route-cmd-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('accounts for every line once, keeps batches within their token bound and reports bad lines', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 120; i += 1) {
      lines.push(JSON.stringify({ prompt: `Explain topic ${i % 7} in detail, case ${i}`, maxOutputTokens: 300 }));
    }
    lines.splice(40, 0, '{"prompt": 42}', 'not json');
    const input = join(dir, 'job.jsonl');
    await writeFile(input, `${lines.join('\n')}\n`);
    const out = join(dir, 'out');
    const sink = new PassThrough();
    sink.resume();
    const summary = await runRoute({
      in: input,
      out,
      synthetic: true,
      tokensPerMinute: 2_000,
      policy: 'resolving-dual',
      tenant: 't1',
      maxOutputTokens: 256,
      sliceRequests: 32,
      progress: false,
      env: {},
      stderr: sink,
      stdout: sink,
    });
    expect(summary.badLines).toBe(2);
    expect(summary.requests).toBe(120);
    expect(summary.routed + summary.rejected + summary.deadLettered).toBe(120);
    // 120 requests of about 170 estimated tokens (20,000 in all) cannot fit in one minute of
    // five models with 2,000 tokens each, however the policy spreads them.
    expect(summary.deferrals).toBeGreaterThan(0);

    const decisions = (await readFile(join(out, 'decisions.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const finalById = new Map<string, Record<string, unknown>>();
    for (const d of decisions) finalById.set(String(d['requestId']), d);
    expect(finalById.size).toBe(120);
    // No model's one-minute window (epoch-aligned, virtual time) takes more than its budget.
    const windowUse = new Map<string, number>();
    for (const d of finalById.values()) {
      if (d['outcome'] !== 'routed') continue;
      const key = `${String(d['model'])}@${Math.floor(Number(d['decidedAtMs']) / 60_000)}`;
      windowUse.set(key, (windowUse.get(key) ?? 0) + Number(d['estimatedTokens']));
    }
    expect(windowUse.size).toBeGreaterThan(1);
    for (const used of windowUse.values()) expect(used).toBeLessThanOrEqual(2_000);

    const routedIds: string[] = [];
    for (const f of await readdir(join(out, 'batches'))) {
      for (const line of (await readFile(join(out, 'batches', f), 'utf8')).trim().split('\n')) {
        if (line === '') continue;
        const batch = JSON.parse(line) as { totalEstimatedTokens: number; requests: Array<{ requestId: string; estimatedTokens: number }> };
        const sum = batch.requests.reduce((s, r) => s + r.estimatedTokens, 0);
        expect(sum).toBe(batch.totalEstimatedTokens);
        expect(sum).toBeLessThanOrEqual(4_000);
        routedIds.push(...batch.requests.map((r) => r.requestId));
      }
    }
    expect(routedIds.length).toBe(summary.routed);
    expect(new Set(routedIds).size).toBe(routedIds.length);
  }, 240_000);
});
