// Failover after a SIGKILL, measured with the shipped Kafka settings (kafka.sessionTimeoutMs,
// kafka.heartbeatIntervalMs defaults): a feeder writes requests to every partition at a steady
// rate; a router process is SIGKILLed; the pause of a partition is the time from the kill to
// the first request sent after it that reaches a routed topic (read_committed). Two cases: the
// killed process is restarted at once (one instance), and a second instance survives (no
// restart). The pauses are printed (README "Failover"); the test asserts only delivery: every
// request sent is routed exactly once, never on wall-clock time.
import { afterAll, describe, expect, it } from 'vitest';
import type { Consumer, Producer } from 'kafkajs';
import { AvroSerde, contracts, createRegistryClient } from '@switchyard/contracts';
import type { RequestV1, RoutedBatchV1 } from '@switchyard/contracts';
import { configSchema } from '@switchyard/config';
import { eventually, stack, uniqueName } from '../support/index.ts';
import { ReliabilityJob } from '../support/reliability-job.ts';
import { RouterProcesses, jobTopics, routedTopic } from '../support/router-job.ts';

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
  const jobs: ReliabilityJob[] = [];

  afterAll(async () => {
    for (const j of jobs) await j.close();
  });

  async function scenario(name: string, instances: number, restart: boolean): Promise<number[]> {
    const info = stack();
    const rel = new ReliabilityJob(`rel-failover-${name}`, {
      models: (prefix) => [{ name: `${prefix}-a`, tokensPerMinute: 50_000_000, maxBatchTokens: 4_000, maxBatchRequests: 20 }],
      partitions: PARTITIONS,
    });
    jobs.push(rel);
    await rel.open();
    const { prefix, models, kafka } = rel;
    const defaults = configSchema.shape.kafka.parse({});
    const configFile = (k: number): Promise<string> =>
      rel.routerConfig(`failover-${k}`, {
        // The shipped defaults, not the short sessions the other reliability tests use.
        overrides: { kafka: { sessionTimeoutMs: defaults.sessionTimeoutMs, heartbeatIntervalMs: defaults.heartbeatIntervalMs } },
      });
    const arrivedAt = new Map<string, number>();
    const duplicates: string[] = [];
    const registry = createRegistryClient({ url: info.registryUrl });
    const serde = await AvroSerde.forTopic(registry, jobTopics(prefix).requests, contracts.request);
    const routedSerde = await AvroSerde.forTopic(registry, routedTopic(prefix, models[0]!.name), contracts.routedBatch);
    const reader: Consumer = kafka.consumer({ groupId: uniqueName(`${prefix}-reader`), readUncommitted: false, maxWaitTimeInMs: 100 });
    rel.onClose(() => reader.disconnect());
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
    rel.onClose(() => producer.disconnect());
    const feeder = new Feeder(producer, serde, prefix, jobTopics(prefix).requests);

    const children = [];
    for (let k = 0; k < instances; k++) children.push(rel.startRouter(await configFile(k), `failover-${name}-${k}`));
    feeder.start();
    // Steady state: every partition routes.
    await eventually('every partition routed', () => pauses(0, feeder.sentAt, arrivedAt).every(Number.isFinite), 120_000);
    await new Promise((r) => setTimeout(r, 3_000));
    const killAt = Date.now();
    await RouterProcesses.stop(children[0]!, 'SIGKILL');
    if (restart) rel.startRouter(await configFile(instances), `failover-${name}-restarted`);
    await eventually('every partition routed again after the kill', () => pauses(killAt, feeder.sentAt, arrivedAt).every(Number.isFinite), 120_000);
    const measured = pauses(killAt, feeder.sentAt, arrivedAt);
    await feeder.stop();
    await eventually('every request sent routed', () => [...feeder.sentAt.keys()].every((id) => arrivedAt.has(id)), 60_000);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(duplicates).toEqual([]);
    await rel.routers.killAll();
    return measured;
  }

  it('routes again after a kill, exactly once, with a restarted instance and with a surviving one', { timeout: 420_000 }, async () => {
    const survivor = await scenario('survivor', 2, false);
    const restarted = await scenario('restart', 1, true);
    const fmt = (ms: number[]): string => ms.map((m) => (m / 1_000).toFixed(1)).join(' / ');
    console.log(`[reliability failover] pause per partition after SIGKILL (s): restarted instance ${fmt(restarted)}; surviving instance ${fmt(survivor)}`);
  });
});
