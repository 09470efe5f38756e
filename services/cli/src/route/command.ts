// `switchyard route --in job.jsonl --out dir/`: the shell around routeFile. Builds the router's
// engine from a router config file (the same JSON the router service reads) or from a data set,
// opens the job, routes it in virtual time, prints the summary.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { loadConfig } from '@switchyard/config';
import { defaultDatasetPath, generateSyntheticDataset, loadDataset, pricesFromHistory } from '@switchyard/datasets';
import { CliError } from '../errors.ts';
import { createProgress } from '../progress.ts';
import { openJobSource } from '../source/open.ts';
import type { SourceFormat } from '../source/record.ts';
import { deriveJobId, JOB_ID_PATTERN } from '../submit/request.ts';
import { renderTable } from '../table.ts';
import { compileRouterConfig, parseRouterServiceConfig } from '@switchyard/routing-engine';
import type { RouterConfig } from '@switchyard/routing-engine';
import { fileModeConfig } from './config.ts';
import type { FileModeInput } from './config.ts';
import { routeFile, VirtualClock } from './route.ts';
import type { RouteSummary } from './route.ts';
import { createFileRouter } from './file-router.ts';
import { realpath, stat } from 'node:fs/promises';
import { parseDeadlineMs } from '../budget-flags.ts';

/** Lines (or rows) of a job file that parse, read once before routing so a budget can be paced over the job. */
export async function countRequests(path: string, format: SourceFormat | undefined): Promise<number> {
  const source = await openJobSource(path, format);
  let n = 0;
  for await (const r of source.records()) if (r.kind === 'line') n += 1;
  return n;
}

export interface RouteCommandOptions {
  readonly in: string;
  readonly out: string;
  readonly format?: SourceFormat | undefined;
  /** Router config JSON (shared config + routerService), as services/router reads it. */
  readonly configFile?: string | undefined;
  readonly data?: string | undefined;
  readonly synthetic: boolean;
  readonly tokensPerMinute: number;
  readonly policy: string;
  readonly jobId?: string | undefined;
  readonly tenant: string;
  readonly maxOutputTokens: number;
  /** One dollar budget for the run (in-memory ledger, the router's rules). */
  readonly budgetUsd?: number | undefined;
  /** With a budget: the deadline as text (ISO time or duration from the start of the run), which paces it. */
  readonly deadline?: string | undefined;
  readonly sliceRequests: number;
  readonly progress: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stderr: NodeJS.WritableStream;
  readonly stdout: NodeJS.WritableStream;
}

/** The options that build file mode's router config (route and plan share them). */
export type RouterConfigOptions = Pick<RouteCommandOptions, 'configFile' | 'data' | 'synthetic' | 'tokensPerMinute' | 'policy' | 'env'>;

export async function routerConfigOf(opts: RouterConfigOptions): Promise<RouterConfig> {
  if (opts.configFile !== undefined) {
    const file = JSON.parse(await readFile(opts.configFile, 'utf8')) as Record<string, unknown>;
    const { routerService, ...shared } = file;
    return compileRouterConfig(loadConfig(opts.env, shared), parseRouterServiceConfig({ ...(routerService as object | undefined), ledger: 'local' }));
  }
  const path = opts.synthetic ? undefined : (opts.data ?? defaultDatasetPath());
  if (path !== undefined) {
    const data = await loadDataset(resolve(path), { countTokens: false });
    // Priced at each model's recorded cost per token, so --budget-usd works without a config file.
    return fileModeRouterConfig({ models: data.models, reference: { source: 'dataset', path: resolve(path) }, tokensPerMinute: opts.tokensPerMinute, policy: opts.policy, pricesPer1kTokensUsd: pricesFromHistory(data.models, data.history) });
  }
  const synthetic = generateSyntheticDataset({ nHistory: 10, nTest: 1, models: 5, seed: 1 });
  return fileModeRouterConfig({ models: synthetic.models, reference: { source: 'synthetic', nHistory: 2_000, seed: 1 }, tokensPerMinute: opts.tokensPerMinute, policy: opts.policy });
}

/** The router config file mode builds when no config file is given (the quality benchmark builds it too). */
export function fileModeRouterConfig(input: FileModeInput): RouterConfig {
  return generated(fileModeConfig(input));
}

/**
 * compileRouterConfig insists on Postgres, which the service needs for decisions and file mode
 * does not use; a generated config has none of the cross-field conflicts it checks (no model
 * columns, no embedding dimension override), so the two halves are frozen together directly.
 */
function generated(p: ReturnType<typeof fileModeConfig>): RouterConfig {
  return Object.freeze({ switchyard: loadConfig({}, p.shared), service: parseRouterServiceConfig(p.router) });
}

export async function runRoute(opts: RouteCommandOptions): Promise<RouteSummary> {
  const say = (line: string): void => {
    opts.stderr.write(`${line}\n`);
  };
  if (opts.jobId !== undefined && !JOB_ID_PATTERN.test(opts.jobId)) throw new CliError('invalid_arguments', `--job-id must match ${JOB_ID_PATTERN.source}`);
  const source = await openJobSource(opts.in, opts.format);
  const path = await realpath(opts.in);
  const jobId = opts.jobId ?? deriveJobId({ tenant: opts.tenant, path, sizeBytes: source.sizeBytes, mtimeMs: (await stat(path)).mtimeMs });
  const config = await routerConfigOf(opts);
  say(`route: building the router's reference set and scoring workers (${config.switchyard.models.length} models, policy ${config.switchyard.router.policy.policy}) ...`);
  const clock = new VirtualClock(Date.now());
  const usd =
    opts.budgetUsd === undefined
      ? undefined
      : {
          budgetUsd: opts.budgetUsd,
          deadlineMs: opts.deadline === undefined ? null : parseDeadlineMs(opts.deadline, clock.start),
          expectedRequests: await countRequests(opts.in, opts.format),
          settle: 'never' as const,
        };
  const { router: engine, info } = await createFileRouter(config, clock.now, { usd });
  say(`route: reference ${info.reference}, scoring kernel ${info.backend}`);
  const progress = createProgress({ enabled: opts.progress, totalBytes: source.sizeBytes, label: `route ${jobId}`, stream: opts.stderr });
  const bad: string[] = [];
  let summary: RouteSummary;
  try {
    summary = await routeFile({
      engine,
      source,
      outDir: opts.out,
      jobId,
      tenant: opts.tenant,
      defaults: { maxOutputTokens: opts.maxOutputTokens, priority: 0 },
      sliceRequests: opts.sliceRequests,
      keepBadLines: 1_000,
      clock,
      onBadLine: (b) => {
        if (bad.length < 20) bad.push(`line ${b.lineNo}: ${b.error}`);
      },
      onProgress: (p) => progress.update({ bytesRead: p.bytesRead, linesRead: p.linesRead, produced: p.decided, bad: bad.length }),
    });
  } finally {
    progress.stop();
    await engine.close();
  }
  for (const line of bad) say(line);
  const rows = Object.entries(summary.perModel).map(([model, s]) => [model, s.requests, s.batches, s.estimatedTokens, s.meanPredictedQuality === null ? null : s.meanPredictedQuality.toFixed(3)]);
  opts.stdout.write(
    `${renderTable([{ title: 'model' }, { title: 'requests', align: 'right' }, { title: 'batches', align: 'right' }, { title: 'est. tokens', align: 'right' }, { title: 'pred. quality', align: 'right' }], rows)}\n`,
  );
  const rejected = Object.entries(summary.rejectedByReason).map(([r, n]) => `${r} ${n}`).join(', ');
  const dead = Object.entries(summary.deadLettersByReason).map(([r, n]) => `${r} ${n}`).join(', ');
  say(
    `route ${jobId}: ${summary.requests} requests (${summary.badLines} bad lines): routed ${summary.routed} in ${summary.batches} batches, ` +
      `rejected ${summary.rejected}${rejected !== '' ? ` (${rejected})` : ''}, dead-lettered ${summary.deadLettered}${dead !== '' ? ` (${dead})` : ''}, ` +
      `${summary.deferrals} deferrals, ${summary.minuteWindows} one-minute budget windows of virtual time; files in ${opts.out}`,
  );
  const committed = info.committedUsd();
  if (opts.budgetUsd !== undefined && committed !== null) {
    say(`route ${jobId}: dollar budget ${opts.budgetUsd} USD, worst cases held by the routed requests ${committed.toFixed(6)} USD (their true cost is at most that)`);
  }
  return summary;
}
