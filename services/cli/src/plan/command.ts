// `switchyard plan FILE --budget-usd X [--deadline D] [--json OUT]`: the quote of a job before
// anything runs. The job is routed in file mode by the router's own engine (reference set,
// scoring workers, policy, token windows, the dollar gate and the job budget's paced dual
// price), with each routed request settled at its estimated cost as its outcome would settle it
// at its true one; routing-core's quoteJob then adds up the engine's estimates of the chosen
// models (cost, quality, mix), of each model alone under the same budget, and the finish time
// under the models' rate limits. No Kafka, no Postgres: the files file mode writes go to a
// temporary folder that is removed afterwards.
import { mkdtemp, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelPrice } from '@switchyard/config';
import { quoteJob } from '@switchyard/routing-core';
import type { QuoteEstimate } from '@switchyard/routing-core';
import { pricedCostsUsd } from '@switchyard/routing-engine';
import type { Scored } from '@switchyard/routing-engine';
import { parseDeadlineMs } from '../budget-flags.ts';
import { CliError } from '../errors.ts';
import { openJobSource } from '../source/open.ts';
import type { SourceFormat } from '../source/record.ts';
import { deriveJobId, JOB_ID_PATTERN } from '../submit/request.ts';
import { countRequests, routerConfigOf } from '../route/command.ts';
import type { RouterConfigOptions } from '../route/command.ts';
import { createFileRouter } from '../route/file-router.ts';
import type { FileRouter } from '../route/file-router.ts';
import { routeFile, VirtualClock } from '../route/route.ts';
import { formatPlan, planJson } from './format.ts';
import type { PlanJson } from './format.ts';

export interface PlanCommandOptions extends RouterConfigOptions {
  readonly in: string;
  readonly format?: SourceFormat | undefined;
  readonly budgetUsd: number;
  /** ISO 8601 time or a duration from now (90m, 6h, 2d). */
  readonly deadline?: string | undefined;
  readonly jsonOut?: string | undefined;
  readonly jobId?: string | undefined;
  readonly tenant: string;
  readonly maxOutputTokens: number;
  readonly sliceRequests: number;
  /** Start of the virtual clock (default now). */
  readonly nowMs?: number;
  readonly stderr: NodeJS.WritableStream;
  readonly stdout: NodeJS.WritableStream;
}

/**
 * The quote's inputs, collected while the engine routes: each request's estimates and where it
 * finally went. Costs are in the ledger's terms (pricedCostsUsd: the models' prices on the
 * estimated tokens, capped at the worst case), as the outcomes will be charged.
 */
class QuoteCollector {
  readonly estimates = new Map<string, QuoteEstimate>();
  readonly chosen = new Map<string, string | null>();
  readonly #prices: readonly ModelPrice[];

  constructor(prices: readonly ModelPrice[]) {
    this.#prices = prices;
  }

  scored(admitted: readonly Scored[]): void {
    for (const s of admitted) {
      this.estimates.set(s.request.requestId, { quality: Float64Array.from(s.quality), costUsd: pricedCostsUsd(this.#prices, s), tokens: Float64Array.from(s.estimatedTokens) });
    }
  }

  wrap(router: FileRouter): FileRouter {
    return {
      ...router,
      run: async (records) => {
        const r = await router.run(records);
        for (const d of r.decisions) if (d.outcome !== 'deferred') this.chosen.set(d.requestId, d.outcome === 'routed' ? d.model : null);
        return r;
      },
    };
  }
}

export async function runPlan(opts: PlanCommandOptions): Promise<PlanJson> {
  if (opts.jobId !== undefined && !JOB_ID_PATTERN.test(opts.jobId)) throw new CliError('invalid_arguments', `--job-id must match ${JOB_ID_PATTERN.source}`);
  const source = await openJobSource(opts.in, opts.format);
  const path = await realpath(opts.in);
  const jobId = opts.jobId ?? deriveJobId({ tenant: opts.tenant, path, sizeBytes: source.sizeBytes, mtimeMs: (await stat(path)).mtimeMs });
  const clock = new VirtualClock(opts.nowMs ?? Date.now());
  const deadlineMs = opts.deadline === undefined ? null : parseDeadlineMs(opts.deadline, clock.start);
  const config = await routerConfigOf(opts);
  const sy = config.switchyard;
  opts.stderr.write(`plan: routing ${opts.in} in file mode (${sy.models.length} models, policy ${sy.router.policy.policy}) ...\n`);
  const collect = new QuoteCollector(sy.models);
  const usd = { budgetUsd: opts.budgetUsd, deadlineMs, expectedRequests: await countRequests(opts.in, opts.format), settle: 'estimate' as const };
  const { router } = await createFileRouter(config, clock.now, { usd, onScored: (a) => collect.scored(a) });
  const outDir = await mkdtemp(join(tmpdir(), 'switchyard-plan-'));
  try {
    await routeFile({
      engine: collect.wrap(router),
      source,
      outDir,
      jobId,
      tenant: opts.tenant,
      defaults: { maxOutputTokens: opts.maxOutputTokens, priority: 0 },
      sliceRequests: opts.sliceRequests,
      keepBadLines: 0,
      clock,
    });
  } finally {
    await router.close();
    await rm(outDir, { recursive: true, force: true });
  }
  const modelIndex = new Map(sy.models.map((m, i) => [m.name, i]));
  const ids = [...collect.estimates.keys()];
  const quote = quoteJob({
    models: sy.models.map((m) => ({ name: m.name, tokensPerMinute: m.tokensPerMinute, tokensPerDay: m.tokensPerDay })),
    estimates: ids.map((id) => collect.estimates.get(id)!),
    chosen: ids.map((id) => {
      const model = collect.chosen.get(id);
      return model === undefined || model === null ? null : (modelIndex.get(model) ?? null);
    }),
    budgetUsd: opts.budgetUsd,
    deadlineSeconds: deadlineMs === null ? null : (deadlineMs - clock.start) / 1000,
  });
  const plan = planJson(jobId, sy.router.policy.policy, quote, deadlineMs);
  opts.stdout.write(`${formatPlan(plan)}\n`);
  if (opts.jsonOut !== undefined) await writeFile(opts.jsonOut, `${JSON.stringify(plan, null, 2)}\n`);
  return plan;
}
