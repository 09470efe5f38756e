// `switchyard` entry point: the only module of the CLI that reads process.env and argv.
//   submit <file>     send a bulk job (OpenAI Batch, Anthropic Message Batches, JSONL, CSV, Parquet) to the requests topic
//   jobs              recent jobs and how far the router got with them
//   job <id>          one job in detail, its progress to completion (--wait polls until complete)
//   route             route a file offline, without Kafka (per-model batch files + decisions)
//   plan <file>       the quote of a job under a dollar budget before it runs (file mode, no Kafka)
//   report <id>       one self-contained HTML report of a job (charts inline, no network)
//   results <id>      a job's answers in OpenAI or Anthropic batch output format
//   label <id> <file> quality labels that arrive after the job ran, fed into the outcomes path
// Endpoints: --brokers / --registry / --pg-url, else SWITCHYARD_KAFKA_BROKERS,
// SWITCHYARD_REGISTRY_URL, SWITCHYARD_PG_URL, else the local stack (started if not running).
import { Command, InvalidArgumentError, Option } from 'commander';
import { parseBudgetUsd, parseDeadlineMs } from './budget-flags.ts';
import { postgresTargetOf, resolveEndpoints } from './endpoints.ts';
import type { EndpointFlags } from './endpoints.ts';
import { CliError } from './errors.ts';
import { runJob, runJobs } from './jobs-command.ts';
import { runLabel } from './label/command.ts';
import { runReport } from './report/command.ts';
import { runResults } from './results/command.ts';
import { runPlan } from './plan/command.ts';
import { runRoute } from './route/command.ts';
import { SOURCE_FORMATS } from './source/record.ts';
import type { SourceFormat } from './source/record.ts';
import { runSubmit } from './submit/command.ts';
import type { CompressionCodec } from '@switchyard/kafka-io';
import { startTelemetry, telemetryConfigFromEnv } from '@switchyard/telemetry';

const env = process.env;
// Traces of `submit` (OTEL_* variables; off unless an exporter or endpoint is set).
const telemetry = startTelemetry(telemetryConfigFromEnv(env, 'switchyard-cli'));

function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('must be a positive integer');
  return Number(value);
}

function anyInt(value: string): number {
  if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError('must be an integer');
  return Number(value);
}

function withEndpointOptions(cmd: Command): Command {
  return cmd
    .option('--brokers <list>', 'Kafka bootstrap brokers, comma-separated (env SWITCHYARD_KAFKA_BROKERS)')
    .option('--registry <url>', 'schema registry URL, Confluent API (env SWITCHYARD_REGISTRY_URL)')
    .option('--pg-url <url>', 'Postgres URL of the switchyard database (env SWITCHYARD_PG_URL)');
}

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

const program = new Command('switchyard')
  .description('Route high-volume batch LLM traffic to a pool of models under token budgets.')
  .showHelpAfterError();

withEndpointOptions(
  program
    .command('submit')
    .description('Send a bulk job (an OpenAI or Anthropic batch file, or JSONL, CSV or Parquet; one request a line) to the requests topic and print its job id.')
    .argument('<file>', 'job file: .jsonl (native, OpenAI Batch or Anthropic Message Batches, told by its first line), .csv or .parquet')
    .addOption(new Option('--format <format>', 'input format (default: from the extension and first line)').choices(SOURCE_FORMATS))
    .option('--models <list>', "the router's model pool, comma-separated: a line pinned to another model is a bad line (default: not checked here; the router dead-letters it as unknown_model)")
    .option('--job-id <id>', 'job id (default: derived from tenant, path, size and mtime, so re-running is the same job)')
    .option('--tenant <tenant>', 'tenant owning the job (env SWITCHYARD_TENANT)', env['SWITCHYARD_TENANT'] ?? 'default')
    .option('--topic <topic>', "requests topic; with per-tenant topics the tenant's own, e.g. switchyard.requests.<tenant> (env SWITCHYARD_TOPIC_REQUESTS)", env['SWITCHYARD_TOPIC_REQUESTS'] ?? 'requests')
    .option('--partitions <n>', 'partitions if the topic has to be created', positiveInt, 6)
    .addOption(
      new Option('--compression <codec>', 'compression of the records sent (env SWITCHYARD_KAFKA_COMPRESSION); the router reads all of them')
        .choices(['none', 'gzip', 'snappy', 'lz4', 'zstd'])
        .default(env['SWITCHYARD_KAFKA_COMPRESSION'] ?? 'none'),
    )
    .option('--max-output-tokens <n>', 'maxOutputTokens for lines that do not set it', positiveInt, 512)
    .option('--priority <n>', 'priority for lines that do not set it', anyInt, 0)
    .option('--budget-usd <usd>', "the job's dollar budget: the router reserves each request's worst case and never lets true costs pass it")
    .option('--deadline <when>', 'when the job should be done: ISO 8601 time or a duration (90m, 6h, 2d); the policy spreads the budget up to it')
    .option('--force', 'send the requests of an already submitted job again (same request ids)', false)
    .option('--no-progress', 'no progress bar (it is off anyway when stderr is not a terminal)')
    .option('--show-bad <n>', 'bad lines to print', positiveInt, 20),
).action(async (file: string, o: Record<string, unknown>) => {
  const endpoints = await resolveEndpoints(o as EndpointFlags, env, log);
  const result = await runSubmit({
    file,
    format: o['format'] as SourceFormat | undefined,
    jobId: o['jobId'] as string | undefined,
    knownModels: typeof o['models'] === 'string' ? o['models'].split(',').map((m) => m.trim()).filter((m) => m !== '') : undefined,
    tenant: o['tenant'] as string,
    topic: o['topic'] as string,
    partitions: o['partitions'] as number,
    compression: o['compression'] as CompressionCodec,
    replicationFactor: 1,
    maxOutputTokens: o['maxOutputTokens'] as number,
    priority: o['priority'] as number,
    budgetUsd: o['budgetUsd'] === undefined ? undefined : parseBudgetUsd(o['budgetUsd'] as string),
    deadlineMs: o['deadline'] === undefined ? undefined : parseDeadlineMs(o['deadline'] as string, Date.now()),
    force: o['force'] === true,
    progress: o['progress'] !== false && process.stderr.isTTY === true,
    printBadLines: o['showBad'] as number,
    keepBadLines: 1_000,
    chunkMessages: 1_000,
    endpoints,
    stderr: process.stderr,
  });
  if (result.kind === 'submitted') {
    const rate = result.elapsedMs > 0 ? ((result.linesRead * 1000) / result.elapsedMs).toFixed(0) : '-';
    log(`job ${result.jobId}: ${result.produced} requests sent to ${o['topic'] as string}, ${result.bad} bad lines, ${result.linesRead} lines read in ${(result.elapsedMs / 1000).toFixed(1)} s (${rate} lines/s)`);
  }
  process.stdout.write(`${result.jobId}\n`);
});

withEndpointOptions(
  program
    .command('label')
    .description('Feed quality labels (JSONL: custom_id or request_id, quality in [0, 1]) into the outcomes path; a later label of a request replaces the earlier one.')
    .argument('<jobId>', 'job id printed by submit')
    .argument('<file>', 'labels file, one JSON object a line')
    .option('--topic <topic>', 'outcomes topic (env SWITCHYARD_TOPIC_OUTCOMES)', env['SWITCHYARD_TOPIC_OUTCOMES'] ?? 'outcomes'),
).action(async (jobId: string, file: string, o: Record<string, unknown>) => {
  const endpoints = await resolveEndpoints(o as EndpointFlags, env, log);
  const r = await runLabel({ jobId, file, topic: o['topic'] as string, endpoints, stderr: process.stderr });
  log(`job ${jobId}: ${r.applied} labels sent to the outcomes path, ${r.unchanged} already applied, ${r.missing} not applicable, ${r.bad} bad lines`);
});

withEndpointOptions(
  program
    .command('jobs')
    .description('List recent jobs with what the router decided so far.')
    .option('--limit <n>', 'jobs to show', positiveInt, 20)
    .option('--tenant <tenant>', 'only this tenant'),
).action(async (o: Record<string, unknown>) => {
  const endpoints = await resolveEndpoints(o as EndpointFlags, env, log);
  await runJobs({ ...postgresTargetOf(endpoints), limit: o['limit'] as number, tenant: o['tenant'] as string | undefined, out: process.stdout });
});

withEndpointOptions(
  program
    .command('job')
    .description('Status of one job: progress to completion (answered, failed, not finished), routed per model, deferred, rejected, outcomes, tokens.')
    .argument('<jobId>', 'job id printed by submit')
    .option('--wait', 'poll until every request has an answer or an error, printing progress as it changes', false)
    .option('--timeout <s>', 'give up waiting after this many seconds', positiveInt, 3_600)
    .option('--poll <s>', 'seconds between polls while waiting', positiveInt, 2),
).action(async (jobId: string, o: Record<string, unknown>) => {
  const endpoints = await resolveEndpoints(o as EndpointFlags, env, log);
  const wait = o['wait'] === true ? { pollMs: (o['poll'] as number) * 1000, timeoutMs: (o['timeout'] as number) * 1000, log } : undefined;
  await runJob({ ...postgresTargetOf(endpoints), jobId, out: process.stdout, wait });
});

withEndpointOptions(
  program
    .command('report')
    .description('Write one self-contained HTML report of a job (summary, cost against quality, routing mix, token use over time, quality against the best single model) and print its path.')
    .argument('<jobId>', 'job id printed by submit')
    .option('--out <file>', 'HTML file to write (default report-<jobId>.html)'),
).action(async (jobId: string, o: Record<string, unknown>) => {
  const endpoints = await resolveEndpoints(o as EndpointFlags, env, log);
  const result = await runReport({ ...postgresTargetOf(endpoints), jobId, outFile: o['out'] as string | undefined });
  process.stdout.write(`${result.path}\n`);
});

withEndpointOptions(
  program
    .command('results')
    .description("Write a job's answers in a provider's batch output format (one line per request, errors to a separate file); each line also says which model answered and what it cost (x_switchyard).")
    .argument('<jobId>', 'job id printed by submit')
    .requiredOption('--out <file>', 'output file (JSONL) for the answers')
    .option('--errors <file>', 'file for requests that ended in an error (default: <out>.errors.jsonl)')
    .addOption(new Option('--format <format>', 'output format').choices(['openai', 'anthropic']).default('openai')),
).action(async (jobId: string, o: Record<string, unknown>) => {
  const endpoints = await resolveEndpoints(o as EndpointFlags, env, log);
  const r = await runResults({ ...postgresTargetOf(endpoints), jobId, outFile: o['out'] as string, errorsFile: o['errors'] as string | undefined, format: o['format'] as 'openai' | 'anthropic' });
  process.stdout.write(`${r.answered} answers -> ${r.outFile}\n${r.errors} errors -> ${r.errorsFile}\n`);
});

program
  .command('route')
  .description("Route a job file offline with the router's routing step and workers (no Kafka, no Postgres): per-model batch files, decisions, dead letters.")
  .requiredOption('--in <file>', 'job file in any format submit reads')
  .requiredOption('--out <dir>', 'output folder (batches/<model>.jsonl, decisions.jsonl, dead-letters.jsonl, summary.json)')
  .addOption(new Option('--format <format>', 'input format (default: from the extension and first line)').choices(SOURCE_FORMATS))
  .option('--config <file>', 'router config JSON (shared config + routerService), as the router service reads it')
  .option('--data <path>', 'reference data set when no --config (default ../shared/data/routerbench-subset when present)')
  .option('--synthetic', 'generated reference data instead of a data set', false)
  .option('--tokens-per-minute <n>', 'token budget per model per minute window when no --config', positiveInt, 60_000)
  .option('--policy <name>', 'routing policy when no --config', 'resolving-dual')
  .option('--job-id <id>', 'job id (default: derived from tenant, path, size and mtime)')
  .option('--tenant <tenant>', 'tenant of the requests', 'default')
  .option('--max-output-tokens <n>', 'maxOutputTokens for lines that do not set it', positiveInt, 512)
  .option('--budget-usd <usd>', "one dollar budget for the run: each request reserves its worst case on the best-ranked priced model that fits, the rest are dead-lettered with the reason (prices from --config, or each data set model's recorded cost per token)")
  .option('--deadline <when>', 'with --budget-usd: when the job should be done (ISO 8601 time or a duration: 90m, 6h, 2d); the budget is paced up to it')
  .option('--slice <n>', 'requests per routing-step call', positiveInt, 512)
  .option('--no-progress', 'no progress bar')
  .action(async (o: Record<string, unknown>) => {
    await runRoute({
      in: o['in'] as string,
      out: o['out'] as string,
      format: o['format'] as SourceFormat | undefined,
      configFile: o['config'] as string | undefined,
      data: o['data'] as string | undefined,
      synthetic: o['synthetic'] === true,
      tokensPerMinute: o['tokensPerMinute'] as number,
      policy: o['policy'] as string,
      jobId: o['jobId'] as string | undefined,
      tenant: o['tenant'] as string,
      maxOutputTokens: o['maxOutputTokens'] as number,
      budgetUsd: o['budgetUsd'] === undefined ? undefined : parseBudgetUsd(o['budgetUsd'] as string),
      deadline: o['deadline'] as string | undefined,
      sliceRequests: o['slice'] as number,
      progress: o['progress'] !== false && process.stderr.isTTY === true,
      env,
      stderr: process.stderr,
      stdout: process.stdout,
    });
  });

program
  .command('plan')
  .description("Quote a job before it runs: route it in file mode under a dollar budget and print the predicted cost, quality, model mix, each model alone, and the finish time under the models' rate limits.")
  .argument('<file>', 'job file in any format submit reads')
  .requiredOption('--budget-usd <usd>', "the job's dollar budget (prices from --config, or each data set model's recorded cost per token)")
  .option('--deadline <when>', 'when the job should be done: ISO 8601 time or a duration (90m, 6h, 2d)')
  .option('--json <file>', 'also write the quote as JSON (predictedCostUsd, predictedQuality, models, singleModel, finishSeconds)')
  .addOption(new Option('--format <format>', 'input format (default: from the extension and first line)').choices(SOURCE_FORMATS))
  .option('--config <file>', 'router config JSON (shared config + routerService), as the router service reads it')
  .option('--data <path>', 'reference data set when no --config')
  .option('--synthetic', 'generated reference data instead of a data set', false)
  .option('--tokens-per-minute <n>', 'token budget per model per minute window when no --config', positiveInt, 60_000)
  .option('--policy <name>', 'routing policy when no --config', 'resolving-dual')
  .option('--job-id <id>', 'job id (default: derived from tenant, path, size and mtime, as submit derives it)')
  .option('--tenant <tenant>', 'tenant of the requests', 'default')
  .option('--max-output-tokens <n>', 'maxOutputTokens for lines that do not set it', positiveInt, 512)
  .option('--slice <n>', 'requests per routing-step call', positiveInt, 512)
  .action(async (file: string, o: Record<string, unknown>) => {
    await runPlan({
      in: file,
      format: o['format'] as SourceFormat | undefined,
      budgetUsd: parseBudgetUsd(o['budgetUsd'] as string),
      deadline: o['deadline'] as string | undefined,
      jsonOut: o['json'] as string | undefined,
      configFile: o['config'] as string | undefined,
      data: o['data'] as string | undefined,
      synthetic: o['synthetic'] === true,
      tokensPerMinute: o['tokensPerMinute'] as number,
      policy: o['policy'] as string,
      jobId: o['jobId'] as string | undefined,
      tenant: o['tenant'] as string,
      maxOutputTokens: o['maxOutputTokens'] as number,
      sliceRequests: o['slice'] as number,
      env,
      stderr: process.stderr,
      stdout: process.stdout,
    });
  });

program.parseAsync(process.argv).then(
  () => undefined,
  (err: unknown) => {
    if (err instanceof CliError) {
      log(`switchyard: ${err.message}${err.cause instanceof Error ? ` (${err.cause.message})` : ''}`);
      process.exitCode = err.code === 'invalid_arguments' ? 2 : 1;
      return;
    }
    log(`switchyard: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exitCode = 1;
  },
)
  // Exports the spans still buffered before the process exits.
  .then(() => telemetry.shutdown())
  .catch(() => undefined);
