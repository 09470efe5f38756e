// The running system against the benchmark: the test split routed by file mode
// (`switchyard route --budget-usd`: the router's engine, index, embedding, dollar pacing and
// in-memory dollar gate) under the same one dollar budget as bench:quality's `usd-budget` row,
// and scored by the same truth. Both settle each routed request at its recorded true cost the
// moment it is decided (the data set's outcome standing in for an executor's). Where they differ
// is what the running system adds: the router's own index and embedding for the estimates, the
// model's per-token price on estimated tokens for the cost, and a worst case from prompt tokens and
// max output tokens instead of the largest recorded cost.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileRouter, fileModeRouterConfig, openJobSource, routeFile, VirtualClock } from '@switchyard/cli';
import type { Dataset } from '@switchyard/datasets';
import { pricesFromHistory } from '@switchyard/datasets';
import type { RunTotals } from './protocol.ts';

export interface FileModeRunOptions {
  /** Where the data set's folder or file is: the file router builds its reference set from it. */
  readonly dataPath: string;
  readonly budgetUsd: number;
  /** Requests per routing-step call (a Kafka fetch's worth in the service). */
  readonly sliceRequests: number;
}

export interface FileModeRun {
  readonly totals: RunTotals;
  /** Requests file mode refused (dead-lettered with a budget reason), by reason. */
  readonly refusedByReason: Readonly<Record<string, number>>;
}

/** Every line's max output tokens: the longest response any model gave in the history (the data set records no limit). */
export function historyMaxOutputTokens(ds: Dataset): number {
  let max = 1;
  for (const q of ds.history) {
    for (const t of q.tokens) if (Number.isFinite(t)) max = Math.max(max, Math.ceil(t - q.promptTokens));
  }
  return max;
}

/** Routes the test split in `order` through file mode and scores it with the recorded truth. */
export async function runFileModeUsd(ds: Dataset, order: Int32Array, opts: FileModeRunOptions): Promise<FileModeRun> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-file-mode-'));
  try {
    const maxOutputTokens = historyMaxOutputTokens(ds);
    const jobFile = join(dir, 'job.jsonl');
    await writeFile(jobFile, Array.from(order, (j) => `${JSON.stringify({ id: ds.test[j]!.id, prompt: ds.test[j]!.prompt, maxOutputTokens })}\n`).join(''));
    const config = fileModeRouterConfig({
      models: ds.models,
      reference: { source: 'dataset', path: opts.dataPath },
      // Only the dollar budget binds, as in the usd-budget row: token windows far above the job.
      tokensPerMinute: 1_000_000_000,
      policy: 'resolving-dual',
      pricesPer1kTokensUsd: pricesFromHistory(ds.models, ds.history),
    });
    const jobId = 'bench-file-mode';
    // Request ids are `<job>-L<line>` with lines from 1: line i holds test query order[i - 1].
    const queryOf = (requestId: string): number => order[Number(requestId.slice(jobId.length + 2)) - 1]!;
    const modelIndex = new Map(ds.models.map((m, i) => [m, i]));
    const trueCost = (j: number, m: number): number => {
      const c = ds.test[j]!.cost[m]!;
      return Number.isNaN(c) ? 0 : c;
    };
    const clock = new VirtualClock(Date.UTC(2026, 0, 1));
    const t0 = performance.now();
    const { router } = await createFileRouter(config, clock.now, {
      usd: { budgetUsd: opts.budgetUsd, deadlineMs: null, expectedRequests: order.length, settle: { trueCostUsd: (id, model) => trueCost(queryOf(id), modelIndex.get(model)!) } },
    });
    const totals: RunTotals = { performance: 0, cost: 0, served: 0, lost: 0, exceeded: false, decideMs: 0 };
    const refusedByReason: Record<string, number> = {};
    // Every final decision is scored as the routing step makes it.
    const engine: typeof router = {
      ...router,
      run: async (records) => {
        const result = await router.run(records);
        for (const d of result.decisions) {
          if (d.outcome === 'deferred') continue;
          if (d.outcome !== 'routed' || d.model === null) {
            refusedByReason[d.reason ?? d.outcome] = (refusedByReason[d.reason ?? d.outcome] ?? 0) + 1;
            continue;
          }
          const j = queryOf(d.requestId);
          const m = modelIndex.get(d.model)!;
          const q = ds.test[j]!.quality[m]!;
          totals.performance += Number.isNaN(q) ? 0 : q;
          totals.cost += trueCost(j, m);
          totals.served += 1;
        }
        return result;
      },
    };
    try {
      const source = await openJobSource(jobFile, 'jsonl');
      await routeFile({ engine, source, outDir: join(dir, 'out'), jobId, tenant: 'bench', defaults: { maxOutputTokens, priority: 0 }, sliceRequests: opts.sliceRequests, keepBadLines: 0, clock });
    } finally {
      await router.close();
    }
    totals.decideMs = performance.now() - t0;
    totals.exceeded = totals.cost > opts.budgetUsd * (1 + 1e-9);
    return { totals, refusedByReason };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
