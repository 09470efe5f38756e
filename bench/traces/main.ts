/**
 * What tracing adds to the router's per-request CPU: the Kafka shell of a slice
 * (kafkaBatchHandler: records in, output records with their headers out) run side by side in
 * one process, in interleaved rounds, in three modes:
 *   - `no tracer`: the shell as it was before tracing existed (no SliceTracer passed);
 *   - `tracing off`: the default (a SliceTracer, no OTEL_* variables: the no-op API);
 *   - `tracing on`: the SDK started, exporting over OTLP/HTTP to a local server that discards.
 * The routing engine itself is replaced by a slice handler that returns a precomputed result
 * (routed batches, decisions), so the figures isolate the shell and what tracing adds to it;
 * the engine's own cost per request is what `bench:speed` and `bench:e2e` measure. Every input
 * record carries a traceparent, as records of a traced submission do.
 *
 *   npm run bench:traces -- [--slice 500] [--batch 16] [--rounds 12] [--slices-per-round 200] [--json OUT]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import type { KafkaMessage } from 'kafkajs';
import type { BatchInput } from '@switchyard/kafka-io';
import type { RoutingDecision, SliceResult } from '@switchyard/routing-engine';
import { SliceTracer, createRouterMetrics, kafkaBatchHandler } from '@switchyard/router';
import { startTelemetry, telemetryConfigFromEnv } from '@switchyard/telemetry';

type Mode = 'no tracer' | 'tracing off' | 'tracing on';
const MODES: readonly Mode[] = ['no tracer', 'tracing off', 'tracing on'];
const FLUSH_EVERY_SLICES = 20;

function sliceOf(n: number, batchSize: number): { input: Omit<BatchInput, 'signal'>; result: SliceResult } {
  const traceparent = Buffer.from('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
  const messages: KafkaMessage[] = Array.from({ length: n }, (_, i) => ({
    key: Buffer.from(`job-L${i}`),
    value: Buffer.alloc(600, 1),
    timestamp: '0',
    attributes: 0,
    offset: String(1_000 + i),
    headers: { traceparent },
  }));
  const decisions = messages.map((m, i) => ({ requestId: `job-L${i}`, outcome: 'routed', batchId: `s-a-${Math.floor(i / batchSize)}`, sourceOffset: m.offset }) as unknown as RoutingDecision);
  const batches = Math.ceil(n / batchSize);
  const result: SliceResult = {
    messages: Array.from({ length: batches }, (_, b) => ({ topic: 'routed.a', key: `s-a-${b}`, value: Buffer.alloc(600 * batchSize, 2) })),
    decisions,
    processed: n,
    pauseUntilMs: null,
    stats: { consumed: n, routedByModel: new Map([['a', n]]), deferred: 0, allModelsFailed: 0, deadLetters: new Map(), batches: [], scoringMs: [] },
  };
  return { input: { topic: 'requests', partition: 0, messages }, result };
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({ options: { slice: { type: 'string', default: '500' }, batch: { type: 'string', default: '16' }, rounds: { type: 'string', default: '12' }, 'slices-per-round': { type: 'string', default: '200' }, json: { type: 'string' } } });
  const sliceSize = Number(args.slice);
  const rounds = Number(args.rounds);
  const perRound = Number(args['slices-per-round']);
  const { input, result } = sliceOf(sliceSize, Number(args.batch));
  const metrics = createRouterMetrics({ queueDepth: () => 0, budgetUsage: () => [] }, false);
  const tracer = new SliceTracer();
  const handlers = {
    'no tracer': kafkaBatchHandler(async () => result, metrics, { deferredPollMs: 100, clock: Date.now }),
    'tracing off': kafkaBatchHandler(async () => result, metrics, { deferredPollMs: 100, clock: Date.now, tracer }),
    'tracing on': kafkaBatchHandler(async () => result, metrics, { deferredPollMs: 100, clock: Date.now, tracer }),
  };
  const sink = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  const endpoint = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  const cpuNs = new Map<Mode, number[]>(MODES.map((m) => [m, []]));
  const signal = new AbortController().signal;
  for (let round = 0; round < rounds; round++) {
    for (const mode of MODES) {
      const telemetry = mode === 'tracing on' ? startTelemetry(telemetryConfigFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }, 'bench-router')) : null;
      const handler = handlers[mode];
      const c0 = process.cpuUsage();
      for (let s = 0; s < perRound; s++) {
        const out = await handler({ ...input, signal });
        // The publish spans end when the slice's transaction commits.
        tracer.onEvent({ type: 'committed', topic: input.topic, partition: input.partition, committedOffset: '0', inputs: sliceSize, outputs: out.records.length });
        // Exported before the span queue (2,048) fills: dropped spans would cost nothing here.
        if (telemetry !== null && s % FLUSH_EVERY_SLICES === FLUSH_EVERY_SLICES - 1) await telemetry.flush();
      }
      if (telemetry !== null) await telemetry.shutdown();
      const c = process.cpuUsage(c0);
      // Round 0 warms the JIT and is not counted.
      if (round > 0) cpuNs.get(mode)!.push(((c.user + c.system) * 1_000) / (perRound * sliceSize));
    }
  }
  sink.close();
  const rows = MODES.map((mode) => {
    const xs = [...cpuNs.get(mode)!].sort((a, b) => a - b);
    return { mode, medianNsPerRequest: xs[Math.floor(xs.length / 2)]!, minNsPerRequest: xs[0]!, maxNsPerRequest: xs[xs.length - 1]!, rounds: xs.length };
  });
  console.log(`router slice shell, CPU per request (slice ${sliceSize}, batches of ${args.batch}, ${rounds - 1} rounds x ${perRound} slices, interleaved)`);
  console.log('mode          median ns   min ns   max ns');
  for (const r of rows) console.log(`${r.mode.padEnd(12)} ${r.medianNsPerRequest.toFixed(0).padStart(10)} ${r.minNsPerRequest.toFixed(0).padStart(8)} ${r.maxNsPerRequest.toFixed(0).padStart(8)}`);
  if (args.json !== undefined) {
    mkdirSync(dirname(args.json), { recursive: true });
    const machine = { node: process.version, cpus: availableParallelism(), cpuModel: cpus()[0]?.model ?? '', loadavg: loadavg() };
    writeFileSync(args.json, `${JSON.stringify({ sliceSize, batchSize: Number(args.batch), rounds, slicesPerRound: perRound, machine, rows }, null, 2)}\n`);
    console.log(`wrote ${args.json}`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
