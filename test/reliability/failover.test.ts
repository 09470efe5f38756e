// Failover after a SIGKILL, measured with the shipped Kafka settings (kafka.sessionTimeoutMs,
// kafka.heartbeatIntervalMs defaults): a feeder writes requests to every partition at a steady
// rate; a router process is SIGKILLed; the pause of a partition is the time from the kill to
// the first request sent after it that reaches a routed topic (read_committed). Two cases: the
// killed process is restarted at once (one instance), and a second instance survives (no
// restart). The pauses are printed (README "Failover"); the test asserts only delivery: every
// request sent is routed exactly once, never on wall-clock time.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import { AvroSerde, contracts, createRegistryClient } from '@switchyard/contracts';
import type { RequestV1, RoutedBatchV1 } from '@switchyard/contracts';
import { configSchema } from '@switchyard/config';
import { createKafka, eventually, stack, uniqueName } from '../support/index.ts';
import { RouterProcesses, cleanUpJob, createJobTopics, jobTopics, routedTopic, writeRouterConfig } from '../support/router-job.ts';
import type { ModelSpec } from '../support/router-job.ts';

const PARTITIONS = 3;
const FEED_INTERVAL_MS = 100;

class Feeder {
  readonly sentAt = new Map<string, number>();
  private seq = 0;
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly producer: Producer,
    private readonly serde: AvroSerde<RequestV1>,
    private readonly prefix: string,
    private readonly topic: string,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.chain = this.chain.then(() => this.sendRound()).catch(() => undefined);
    }, FEED_INTERVAL_MS);
  }

  private async sendRound(): Promise<void> {
    const n = this.seq++;
    const now = Date.now();
    const messages = Array.from({ length: PARTITIONS }, (_, p) => {
      const requestId = `${this.prefix}-p${p}-${n}`;
      const r: RequestV1 = { requestId, jobId: `${this.prefix}-job`, tenant: 't', prompt: `failover probe ${n} on partition ${p}`, embedding: null, promptTokens: null, maxOutputTokens: 32, priority: 0, deadline: null, allowedModels: null, metadata: {}, submittedAt: now };
      return { key: requestId, value: this.serde.encode(r), partition: p };
    });
    await this.producer.send({ topic: this.topic, messages });
    for (const m of messages) this.sentAt.set(m.key, now);
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    await this.chain;
  }
}

/** Pause of each partition: kill -> first routed request of that partition sent after the kill. */
function pauses(killAt: number, sentAt: ReadonlyMap<string, number>, arrivedAt: ReadonlyMap<string, number>): number[] {
  return Array.from({ length: PARTITIONS }, (_, p) => {
    let first = Number.POSITIVE_INFINITY;
    for (const [id, at] of arrivedAt) {
      if (!id.includes(`-p${p}-`)) continue;
      if ((sentAt.get(id) ?? 0) >= killAt && at < first) first = at;
    }
    return first - killAt;
  });
}

describe('reliability: failover after a SIGKILL', () => {
  const routers = new RouterProcesses();
  const cleanups: (() => Promise<void>)[] = [];

  afterAll(async () => {
    await routers.killAll();
    for (const c of cleanups) await c().catch(() => undefined);
  });

  async function scenario(name: string, instances: number, restart: boolean): Promise<number[]> {
    const info = stack();
    const prefix = uniqueName(`rel-failover-${name}`);
    const models: ModelSpec[] = [{ name: `${prefix}-a`, tokensPerMinute: 50_000_000, maxBatchTokens: 4_000, maxBatchRequests: 20 }];
    const kafka: Kafka = createKafka(prefix);
    const dir = await mkdtemp(join(tmpdir(), 'rel-failover-'));
    cleanups.push(async () => {
      await cleanUpJob(createKafka(prefix), info.adminUrl, prefix, `${prefix}-job`);
      if (process.env['KEEP_TEST_LOGS'] === undefined) await rm(dir, { recursive: true, force: true });
    });
    await createJobTopics(kafka, prefix, models, PARTITIONS);
    const defaults = configSchema.shape.kafka.parse({});
    const configFile = async (k: number): Promise<string> => {
      const file = join(dir, `router-${k}.json`);
      await writeRouterConfig(file, {
        brokers: info.kafkaBrokers, registryUrl: info.registryUrl, postgresUrl: info.postgresUrl, clientId: prefix,
        topics: jobTopics(prefix), partitions: PARTITIONS, models, instanceId: `failover-${k}`,
        // The shipped defaults, not the short sessions the other reliability tests use.
        overrides: { kafka: { sessionTimeoutMs: defaults.sessionTimeoutMs, heartbeatIntervalMs: defaults.heartbeatIntervalMs } },
      });
      return file;
    };
    const arrivedAt = new Map<string, number>();
    const duplicates: string[] = [];
    const registry = createRegistryClient({ url: info.registryUrl });
    const serde = await AvroSerde.forTopic(registry, jobTopics(prefix).requests, contracts.request);
    const routedSerde = await AvroSerde.forTopic(registry, routedTopic(prefix, models[0]!.name), contracts.routedBatch);
    const reader: Consumer = kafka.consumer({ groupId: uniqueName(`${prefix}-reader`), readUncommitted: false, maxWaitTimeInMs: 100 });
    cleanups.push(() => reader.disconnect());
    await reader.connect();
    await reader.subscribe({ topics: [routedTopic(prefix, models[0]!.name)], fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => {
        const d = await routedSerde.decode(message.value);
        if (!d.ok) return;
        const now = Date.now();
        for (const r of (d.value as RoutedBatchV1).requests) {
          if (arrivedAt.has(r.requestId)) duplicates.push(r.requestId);
          else arrivedAt.set(r.requestId, now);
        }
      },
    });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    const feeder = new Feeder(producer, serde, prefix, jobTopics(prefix).requests);

    const children = [];
    for (let k = 0; k < instances; k++) children.push(routers.start(await configFile(k), `failover-${name}-${k}`, join(dir, `router-${k}.log`)));
    feeder.start();
    // Steady state: every partition routes.
    await eventually('every partition routed', () => pauses(0, feeder.sentAt, arrivedAt).every(Number.isFinite), 120_000);
    await new Promise((r) => setTimeout(r, 3_000));
    const killAt = Date.now();
    await RouterProcesses.stop(children[0]!, 'SIGKILL');
    if (restart) routers.start(await configFile(instances), `failover-${name}-restarted`, join(dir, 'router-restarted.log'));
    await eventually('every partition routed again after the kill', () => pauses(killAt, feeder.sentAt, arrivedAt).every(Number.isFinite), 120_000);
    const measured = pauses(killAt, feeder.sentAt, arrivedAt);
    await feeder.stop();
    await eventually('every request sent routed', () => [...feeder.sentAt.keys()].every((id) => arrivedAt.has(id)), 60_000);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(duplicates).toEqual([]);
    await routers.killAll();
    return measured;
  }

  it('routes again after a kill, exactly once, with a restarted instance and with a surviving one', { timeout: 420_000 }, async () => {
    const survivor = await scenario('survivor', 2, false);
    const restarted = await scenario('restart', 1, true);
    const fmt = (ms: number[]): string => ms.map((m) => (m / 1_000).toFixed(1)).join(' / ');
    console.log(`[reliability failover] pause per partition after SIGKILL (s): restarted instance ${fmt(restarted)}; surviving instance ${fmt(survivor)}`);
  });
});
