// `npm start`: the pipeline end to end on one machine.
//   1. the local stack (Kafka, schema registry, Postgres): reused, or started and later stopped;
//   2. fresh topics for this run; the router in-process;
//   3. a bulk job submitted through the same path as `switchyard submit` (the RouterBench test
//      split when ../shared/data/routerbench-subset exists, else a generated data set), written
//      as an OpenAI Batch input file (native JSONL with --executor sim, whose replay needs
//      metadata.datasetId);
//   4. wait until every request is routed, rejected or dead-lettered (Postgres decisions, the
//      dead-letter topic) and answered by executor-openai against a local model server;
//   5. the answers as results.jsonl, the data set's grades fed back as late labels, then a
//      per-model summary, the HTML report and where to look next.
// With --budget-usd the job is first quoted (`switchyard plan`), then submitted with that dollar
// budget (and --deadline), and summary.json sets the quote against the true spend.
// The only module of the demo that reads process.env and argv.
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import cliProgress from 'cli-progress';
import type { Consumer } from 'kafkajs';
import { pino } from 'pino';
import { loadConfig } from '@switchyard/config';
import { defaultDatasetPath, generateSyntheticDataset, loadDataset, pricesFromHistory } from '@switchyard/datasets';
import { createKafka } from '@switchyard/kafka-io';
import { createPool, migrate } from '@switchyard/store';
import type { Pool } from '@switchyard/store';
import { CliError, decisionTotals, outcomeTotals, parseBudgetUsd, parseDeadlineMs, runReport } from '@switchyard/cli';
import type { PlanJson } from '@switchyard/cli';
import { startTelemetry, telemetryConfigFromEnv } from '@switchyard/telemetry';
import { ensureStack, stackConfigFromEnv, stopStack, StackError } from '@switchyard/stack';
import type { Component, StackInfo } from '@switchyard/stack';
import { demoRunId, demoServiceConfig, demoTopics, jobLineOf, openaiBatchLineOf } from './plan.ts';
import type { DemoReference, StreamQuery } from './plan.ts';
import {
  compileExecutorSimConfig,
  compileOutcomeRecorderConfig,
  compileRouterConfig,
  parseExecutorSimConfig,
  parseOutcomeRecorderConfig,
  parseRouterServiceConfig,
  startExecutorSim,
  startOutcomeRecorder,
  startRouter,
} from './services.ts';
import type { RouterHandle } from './services.ts';
import { renderComparison, renderSummary } from './summary.ts';
import { accountedFor, waitUntilAccounted } from './wait.ts';
import type { Accounting } from './wait.ts';
import { repoRootDir } from './paths.ts';
import { startOpenaiLoop } from './openai-loop.ts';
import { collectAnswers } from './answers.ts';
import type { GradedQuery } from './grades.ts';
import { describeBudgetSummary, quoteDemoJob, writeBudgetSummary } from './budget.ts';
import { createRunTopics, submitJob } from './run-setup.ts';

const env = process.env;
const say = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('must be a positive integer');
  return Number(value);
}

const program = new Command('npm start --')
  .description('Run the switchyard pipeline end to end on a bulk job and summarise what the router did.')
  .option('--data <path>', 'dataset (RouterBench CSV folder or JSONL); default ../shared/data/routerbench-subset when present')
  .option('--synthetic', 'use a generated data set even when the real one is present', false)
  .option('--limit <n>', 'submit only the first n queries of the stream', positiveInt)
  .option('--policy <name>', 'routing policy: resolving-dual, port, greedy-perf, greedy-cost, random, knn-perf, knn-cost', 'resolving-dual')
  .option('--tokens-per-minute <n>', 'token budget per model per minute window', positiveInt, 60_000)
  .option('--timeout <s>', 'give up waiting for the pipeline after this many seconds', positiveInt, 600)
  .option('--no-outcomes', 'run without the outcome loop (executor and outcome recorder)')
  .option('--executor <kind>', 'openai: executor-openai calls a local OpenAI-compatible server over HTTP, the answers go to results.jsonl and the data set\'s grades come back as late labels; sim: replay recorded outcomes (quality included)', 'openai')
  .option('--budget-usd <usd>', 'quote the job with switchyard plan, then run it under this dollar budget; summary.json sets the quote against the true spend')
  .option('--deadline <when>', 'with --budget-usd: when the job should be done (ISO 8601 time or a duration: 90m, 6h, 2d); the budget is paced up to it')
  .option('--fail-model <name>', 'with --executor openai: the local server answers 404 (model not found) to every request for this model, so its requests are handed back to the router and answered by the next-ranked models')
  .option('--keep-stack', 'leave Kafka, the registry and Postgres running even if this run started them', false);

interface DemoOptions {
  data?: string;
  synthetic: boolean;
  limit?: number;
  policy: string;
  tokensPerMinute: number;
  timeout: number;
  outcomes: boolean;
  executor: string;
  keepStack: boolean;
  budgetUsd?: string;
  deadline?: string;
  failModel?: string;
}

const STACK_HINTS: Partial<Record<string, string>> = {
  java_missing: 'Kafka and the schema registry run as JVMs: install Java 17+ (e.g. `apt-get install openjdk-17-jre-headless`), or point SWITCHYARD_KAFKA_BROKERS and SWITCHYARD_REGISTRY_URL at running ones.',
  maven_missing: 'Kafka and registry jars come from Maven Central through Maven: install Maven 3.6+ (`apt-get install maven`), or point SWITCHYARD_KAFKA_BROKERS and SWITCHYARD_REGISTRY_URL at running ones.',
  port_in_use: 'Another program holds a port the stack needs (Kafka 19092/19093, registry 18081, embedded Postgres 15432). Stop it, or point the SWITCHYARD_* variables at services you run yourself (README, Local stack).',
  download_failed: 'Maven could not download the Kafka or Apicurio jars: check access to Maven Central (see .stack/logs/maven-*.log).',
  start_timeout: 'A component did not become ready in time: read its log under .stack/logs/, or raise SWITCHYARD_STACK_TIMEOUT_MS.',
  process_exited: 'A component exited while starting: its log under .stack/logs/ says why.',
  bootstrap_failed: 'Creating the switchyard database or roles failed: check SWITCHYARD_PG_ADMIN_URL.',
};

type Cleanup = { what: string; run: () => Promise<void> };

/** The job's stream and the router's reference: the data set when there is one, else generated. */
async function loadStream(opts: DemoOptions, outDir: string): Promise<{ reference: DemoReference; models: string[]; stream: (StreamQuery & GradedQuery)[]; jobFile: string; prices: Record<string, number> }> {
  const datasetPath = opts.synthetic ? undefined : (opts.data ?? defaultDatasetPath());
  let reference: DemoReference;
  let models: string[];
  let stream: (StreamQuery & GradedQuery)[];
  let prices: Record<string, number>;
  if (datasetPath !== undefined) {
    const data = await loadDataset(resolve(datasetPath), { countTokens: false });
    reference = { source: 'dataset', path: resolve(datasetPath) };
    models = data.models;
    stream = data.test;
    prices = pricesFromHistory(models, data.history);
    say(`    ${data.name}: ${data.history.length} history queries (the router's k-NN reference), ${data.test.length} test queries (the job), ${models.length} models`);
  } else {
    const data = generateSyntheticDataset({ nHistory: 2_000, nTest: 1_000, models: 5, seed: 1 });
    reference = { source: 'synthetic', nHistory: 2_000, nTest: 1_000, seed: 1 };
    models = data.models;
    stream = data.test;
    prices = pricesFromHistory(models, data.history);
    say(`    no dataset found (looked for ../shared/data/routerbench-subset): generated ${data.test.length} queries over ${models.length} models`);
  }
  if (opts.limit !== undefined) stream = stream.slice(0, opts.limit);
  // What a user has: an OpenAI Batch input file. The simulator replays a query's recorded
  // outcome by metadata.datasetId, which only the native format carries.
  const asOpenai = opts.executor === 'openai';
  const jobFile = join(outDir, asOpenai ? 'batch-input.jsonl' : 'job.jsonl');
  await writeFile(jobFile, stream.map((q) => `${asOpenai ? openaiBatchLineOf(q, 256) : jobLineOf(q, 256)}\n`).join(''));
  say(`    job file: ${jobFile} (${asOpenai ? 'OpenAI Batch input, custom_id = dataset id, model "auto"' : 'native JSONL'})`);
  return { reference, models, stream, jobFile, prices };
}

/** The router, and with the outcome loop the recorder and the simulator, in this process; a dead-letter counter. */
async function startPipeline(
  opts: DemoOptions,
  ctx: { readonly runId: string; readonly outDir: string; readonly plan: ReturnType<typeof demoServiceConfig>; readonly shared: ReturnType<typeof loadConfig>; readonly topics: ReturnType<typeof demoTopics>; readonly kafka: ReturnType<typeof createKafka> },
  cleanups: Cleanup[],
): Promise<{ routerLogFile: string; deadLettered: () => number }> {
  const { runId, outDir, plan, shared, topics, kafka } = ctx;
  const routerLogFile = join(outDir, 'router.log');
  const logger = pino({ level: 'info', base: { service: 'router', run: runId } }, pino.destination({ dest: routerLogFile, sync: true }));
  const router: RouterHandle = await startRouter(compileRouterConfig(shared, parseRouterServiceConfig(plan.router)), { logger, defaultMetrics: false });
  cleanups.push({ what: 'router', run: () => router.stop() });
  say(`    router ready: metrics on http://127.0.0.1:${router.httpPort}/metrics, log ${routerLogFile}`);
  const loop = opts.outcomes;
  if (loop) {
    const simLogger = pino({ level: 'info', base: { service: 'executor-sim', run: runId } }, pino.destination({ dest: join(outDir, 'executor-sim.log'), sync: true }));
    const recLogger = pino({ level: 'info', base: { service: 'outcome-recorder', run: runId } }, pino.destination({ dest: join(outDir, 'outcome-recorder.log'), sync: true }));
    const recorder = await startOutcomeRecorder(compileOutcomeRecorderConfig(shared, parseOutcomeRecorderConfig(plan.outcomeRecorder)), { logger: recLogger });
    cleanups.push({ what: 'outcome recorder', run: () => recorder.stop() });
    if (opts.executor === 'openai') {
      const datasetPath = opts.synthetic ? undefined : (opts.data ?? defaultDatasetPath());
      const openai = await startOpenaiLoop(shared, datasetPath === undefined ? undefined : resolve(datasetPath), simLogger, { failModel: opts.failModel });
      cleanups.push({ what: 'executor-openai and model server', run: () => openai.stop() });
      if (opts.failModel !== undefined) say(`    ${opts.failModel} answers 404 to every request: its requests go back to the router and on to the next-ranked model`);
      say(`    outcome loop on: executor-openai -> local model server ${openai.baseUrl} -> ${topics.outcomes} -> outcome recorder -> Postgres (answers in switchyard.results); logs in ${outDir}`);
    } else {
      const sim = await startExecutorSim(compileExecutorSimConfig(shared, parseExecutorSimConfig(plan.executorSim)), { logger: simLogger });
      cleanups.push({ what: 'executor simulator', run: () => sim.stop() });
      say(`    outcome loop on: executor simulator (replays each query's recorded outcome) -> ${topics.outcomes} -> outcome recorder -> Postgres; logs in ${outDir}`);
    }
  } else {
    say('    outcome loop off (--no-outcomes): the summary shows decisions only');
  }

  let deadLettered = 0;
  const dlq: Consumer = kafka.consumer({ groupId: `${runId}.demo-dlq` });
  await dlq.connect();
  cleanups.push({ what: 'dead-letter reader', run: () => dlq.disconnect() });
  await dlq.subscribe({ topic: topics.deadLetter, fromBeginning: true });
  await dlq.run({
    eachMessage: async () => {
      deadLettered += 1;
    },
  });
  return { routerLogFile, deadLettered: () => deadLettered };
}

/** Polls Postgres (and the dead-letter count) until every request of the job is accounted for. */
async function awaitRouting(
  opts: DemoOptions,
  ctx: { readonly pg: Pool; readonly jobId: string; readonly produced: number; readonly loop: boolean; readonly deadLettered: () => number; readonly interrupted: () => boolean },
): Promise<Awaited<ReturnType<typeof waitUntilAccounted>>> {
  const { pg, jobId, loop } = ctx;
  const submitted = { produced: ctx.produced };
  const read = async (): Promise<Accounting> => {
    const d = await decisionTotals(pg, jobId);
    const o = loop ? await outcomeTotals(pg, jobId) : null;
    return { routed: d.routed, deferred: d.deferred, rejected: d.rejected, deadLettered: ctx.deadLettered(), outcomes: loop ? (o?.received ?? 0) : null };
  };
  const bar = process.stderr.isTTY === true
    ? new cliProgress.SingleBar({ stream: process.stderr, format: 'route [{bar}] {value}/{total} | routed {routed} | deferred {deferred} | rejected {rejected} | dead-lettered {dlq} | outcomes {outcomes} | {duration}s', hideCursor: true }, cliProgress.Presets.shades_classic)
    : null;
  bar?.start(submitted.produced, 0, { routed: 0, deferred: 0, rejected: 0, dlq: 0, outcomes: '-' });
  let lastPrinted = 0;
  const t0 = Date.now();
  const waited = await waitUntilAccounted({
    expected: submitted.produced,
    read,
    timeoutMs: opts.timeout * 1000,
    pollMs: 500,
    clock: Date.now,
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    cancelled: ctx.interrupted,
    onSample: (a) => {
      bar?.update(accountedFor(a), { routed: a.routed, deferred: a.deferred, rejected: a.rejected, dlq: a.deadLettered, outcomes: a.outcomes ?? '-' });
      if (bar === null && Date.now() - lastPrinted > 5_000) {
        lastPrinted = Date.now();
        say(`    ${accountedFor(a)}/${submitted.produced}: routed ${a.routed}, deferred ${a.deferred}, rejected ${a.rejected}, dead-lettered ${a.deadLettered}${a.outcomes !== null ? `, outcomes ${a.outcomes}` : ''}`);
      }
    },
  });
  bar?.stop();
  const a = waited.last;
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  const outcomesNote = a.outcomes !== null ? `, outcomes ${a.outcomes}` : '';
  if (waited.kind === 'settled') say(`    all ${submitted.produced} requests accounted for in ${secs} s: routed ${a.routed}, rejected ${a.rejected}, dead-lettered ${a.deadLettered}${outcomesNote}`);
  else say(`    ${waited.kind === 'cancelled' ? 'interrupted' : `gave up after ${opts.timeout} s`}: ${accountedFor(a)} of ${submitted.produced} accounted for (routed ${a.routed}, deferred ${a.deferred}, rejected ${a.rejected}, dead-lettered ${a.deadLettered}${outcomesNote})`);
  return waited;
}

/** The per-model summary, the HTML report, and where to look next. */
async function printSummary(pg: Pool, info: StackInfo, ctx: { readonly jobId: string; readonly outDir: string; readonly topics: ReturnType<typeof demoTopics>; readonly routerLogFile: string; readonly jobFile: string }): Promise<void> {
  const { jobId, outDir, topics, routerLogFile, jobFile } = ctx;
  const totals = await decisionTotals(pg, jobId);
  const outcomes = await outcomeTotals(pg, jobId);
  say('');
  say(renderSummary(totals.perModel, outcomes === null || outcomes.received === 0 ? null : outcomes.perModel));
  if (totals.rejected > 0) say(`\nrejected: ${Object.entries(totals.rejectedByReason).map(([r, n]) => `${r} ${n}`).join(', ')}`);
  const report = await runReport({ postgresUrl: info.postgresUrl, jobId, outFile: join(outDir, 'report.html') });
  const comparison = renderComparison(report.quality);
  if (comparison !== null) say(`\n${comparison}`);
  say('');
  say(`HTML report (self-contained, opens offline): ${report.path}`);
  say('');
  say('Where to look next:');
  say(`  npx switchyard job ${jobId}`);
  say('  npx switchyard jobs');
  const analyst = new URL(info.analystUrl);
  const hasPassword = analyst.password !== '';
  analyst.password = '';
  say(`  ${hasPassword ? 'PGPASSWORD=<analyst password> ' : ''}psql "${analyst.toString()}" -c "SELECT model, count(*), sum(estimated_tokens), avg(predicted_quality) FROM switchyard.decisions WHERE job_id = '${jobId}' GROUP BY model ORDER BY 2 DESC"`);
  if (hasPassword) say('    (read-only role switchyard_analyst: its password is SWITCHYARD_PG_ANALYST_PASSWORD, else the local default in infra/stack/config.ts)');
  say(`  the same for outcomes: switchyard.outcomes (true quality, tokens, cost per request), switchyard.outcome_daily`);
  say(`  topics: ${topics.requests}, ${topics.routedTemplate.replace('{model}', '<model>')}, ${topics.deferred}, ${topics.deadLetter}`);
  say(`  router log: ${routerLogFile}; job file: ${jobFile}`);
}

async function main(): Promise<number> {
  const opts = program.parse(process.argv).opts<DemoOptions>();
  if (opts.executor !== 'sim' && opts.executor !== 'openai') throw new CliError('invalid_arguments', `--executor must be sim or openai, not ${opts.executor}`);
  if (opts.failModel !== undefined && opts.executor !== 'openai') throw new CliError('invalid_arguments', '--fail-model needs --executor openai (the local model server is what fails)');
  const startedAt = Date.now();
  const runId = demoRunId(startedAt, Math.random);
  const outDir = join(repoRootDir, 'out', 'demo', runId);
  await mkdir(outDir, { recursive: true });
  const cleanups: Cleanup[] = [];
  // Traces of every service in this process (OTEL_* variables; off unless asked for); first
  // registered, so stopped last, after the services have ended their spans.
  const telemetry = startTelemetry(telemetryConfigFromEnv(env, 'switchyard-demo'));
  cleanups.push({ what: 'traces', run: () => telemetry.shutdown() });
  let interrupted = false;
  const onSignal = (): void => {
    if (interrupted) {
      // A second Ctrl-C means now: the stack's JVMs are ours only if recorded in .stack/run,
      // and `npm run stack:down` stops them later.
      process.stderr.write('interrupted again: exiting without cleaning up (npm run stack:down stops the stack)\n');
      process.exit(130);
    }
    interrupted = true;
    process.stderr.write('\ninterrupted: stopping what this run started (Ctrl-C again to exit at once) ...\n');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  say(`switchyard demo ${runId}`);
  say('1/5 local stack (Kafka, schema registry, Postgres): reusing what runs, starting what does not ...');
  let info: StackInfo;
  try {
    info = await ensureStack({ config: stackConfigFromEnv(env), log: (l) => say(`    ${l}`) });
  } catch (err) {
    if (err instanceof StackError) {
      say(`\nThe local stack could not start (${err.code}): ${err.message}`);
      const hint = STACK_HINTS[err.code];
      if (hint !== undefined) say(hint);
      return 1;
    }
    throw err;
  }
  const started = (Object.keys(info.startedByUs) as Component[]).filter((c) => info.startedByUs[c]);
  if (started.length > 0 && !opts.keepStack) {
    cleanups.push({ what: `stack (${started.join(', ')})`, run: async () => void (await stopStack({ config: stackConfigFromEnv(env), components: started, unlessInUse: true })) });
  }
  try {
    await migrate(info.adminUrl);
    say(`    Postgres: ${info.postgresKind}; migrations applied`);

    say('2/5 data ...');
    const { reference, models, stream, jobFile, prices } = await loadStream(opts, outDir);

    const plan = demoServiceConfig({
      runId,
      kafkaBrokers: info.kafkaBrokers,
      registryUrl: info.registryUrl,
      postgresUrl: info.postgresUrl,
      models,
      reference,
      tokensPerMinute: opts.tokensPerMinute,
      policy: opts.policy,
      partitions: 3,
      // The simulator reports each call's recorded cost; an HTTP endpoint reports usage only. A
      // dollar budget needs prices either way: the router reserves each request's worst case.
      ...(opts.executor === 'openai' || opts.budgetUsd !== undefined ? { pricesPer1kTokensUsd: prices } : {}),
    });
    const topics = demoTopics(runId);
    const shared = loadConfig({}, plan.shared);

    const kafka = createKafka(shared.kafka, { role: 'demo', logLevel: 'error' });
    const created = await createRunTopics(kafka, shared, topics);
    say(`    ${created} topics created for this run (${runId}.*)`);

    say(`3/5 router (policy ${opts.policy}, ${opts.tokensPerMinute.toLocaleString('en-US')} tokens per model per minute): building the reference set and workers ...`);
    const { routerLogFile, deadLettered } = await startPipeline(opts, { runId, outDir, plan, shared, topics, kafka }, cleanups);
    const loop = opts.outcomes;

    const budgetUsd = opts.budgetUsd === undefined ? undefined : parseBudgetUsd(opts.budgetUsd);
    const deadlineMs = opts.deadline === undefined || budgetUsd === undefined ? undefined : parseDeadlineMs(opts.deadline, Date.now());
    let quote: PlanJson | null = null;
    if (budgetUsd !== undefined) {
      say(`4/5 plan: quoting the job under $${budgetUsd} with the router's engine and config (switchyard plan) ...`);
      quote = await quoteDemoJob({ plan, budget: { budgetUsd, deadline: deadlineMs === undefined ? undefined : new Date(deadlineMs).toISOString() }, jobFile, jobId: `${runId}-job`, outDir });
    }
    say(`4/5 submit: ${stream.length} requests from ${jobFile} to ${topics.requests}${budgetUsd === undefined ? '' : ` with a $${budgetUsd} budget`}`);
    const submitted = await submitJob(info, jobFile, `${runId}-job`, topics.requests, { ...(budgetUsd === undefined ? {} : { budgetUsd }), ...(deadlineMs === undefined ? {} : { deadlineMs }) });
    if (submitted.kind !== 'submitted') throw new CliError('job_conflict', `job ${submitted.jobId} already existed`);
    say(`    job ${submitted.jobId}: ${submitted.produced} requests sent (${submitted.bad} bad lines) in ${(submitted.elapsedMs / 1000).toFixed(1)} s`);

    say(`5/5 routing: waiting until every request is routed, rejected or dead-lettered${loop ? ', and every routed one has an outcome' : ''} ...`);
    const pg = createPool({ url: info.postgresUrl, poolMax: 2, applicationName: 'switchyard-demo' });
    cleanups.push({ what: 'Postgres pool', run: () => pg.end() });
    const jobId = submitted.jobId;
    const waited = await awaitRouting(opts, { pg, jobId, produced: submitted.produced, loop, deadLettered, interrupted: () => interrupted });

    if (loop && opts.executor === 'openai') {
      say('    answers, and the data set\'s grades as late labels ...');
      const endpoints = { kafkaBrokers: info.kafkaBrokers, registryUrl: info.registryUrl, postgresUrl: info.postgresUrl };
      await collectAnswers({ pg, jobId, outDir, endpoints, outcomesTopic: topics.outcomes, queries: stream, models, timeoutMs: 60_000, say });
    }
    await printSummary(pg, info, { jobId, outDir, topics, routerLogFile, jobFile });
    if (budgetUsd !== undefined && quote !== null) {
      const s = await writeBudgetSummary(pg, { runId, jobId, outDir, budgetUsd, quote, requests: submitted.produced, deadLettered: deadLettered() });
      say(`${describeBudgetSummary(s)}; ${join(outDir, 'summary.json')}`);
    }
    return waited.kind === 'settled' ? 0 : 1;
  } finally {
    while (cleanups.length > 0) {
      const c = cleanups.pop()!;
      await c.run().catch((err: unknown) => process.stderr.write(`stopping ${c.what} failed: ${err instanceof Error ? err.message : String(err)}\n`));
    }
    if (started.length > 0 && opts.keepStack) say(`left running (--keep-stack): ${started.join(', ')}; npm run stack:down stops them`);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof CliError) process.stderr.write(`demo: ${err.message}\n`);
    else process.stderr.write(`demo failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
