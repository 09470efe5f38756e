/**
 * Open-loop submit for `bench:e2e --rate R`: sends the job file's requests at R per second,
 * whatever the pipeline does, and stamps each record with its scheduled send time (Kafka
 * CreateTime). A producer that falls behind its schedule therefore shows as latency instead of
 * slowing the arrivals down (no coordinated omission). The requests are the ones `switchyard
 * submit` would send for the same lines (ids `<job>-L<line>`), encoded before the clock starts.
 *
 *   node --import tsx bench/e2e/rate-submit.ts <settings.json>
 */
import { readFileSync } from 'node:fs';
import { AvroSerde, contracts, createRegistryClient } from '@switchyard/contracts';
import type { RequestV2 } from '@switchyard/contracts';
import { configSchema } from '@switchyard/config';
import { createKafka } from '@switchyard/kafka-io';

export interface RateSubmitSettings {
  readonly brokers: readonly string[];
  readonly registryUrl: string;
  readonly topic: string;
  readonly jobId: string;
  readonly tenant: string;
  readonly jobFile: string;
  readonly requestsPerSec: number;
  readonly maxOutputTokens: number;
}

/** Sends at most this many records per producer call; a late tick sends its backlog in such chunks. */
const MAX_CHUNK = 2_000;
const TICK_MS = 5;

async function main(): Promise<void> {
  const s = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as RateSubmitSettings;
  const serde = await AvroSerde.forTopic(createRegistryClient({ url: s.registryUrl }), s.topic, contracts.request);
  const submittedAt = Date.now();
  const values = readFileSync(s.jobFile, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((line, i) => {
      const j = JSON.parse(line) as { prompt: string; maxOutputTokens?: number; metadata?: Record<string, string> };
      const r: RequestV2 = {
        requestId: `${s.jobId}-L${i + 1}`,
        jobId: s.jobId,
        tenant: s.tenant,
        prompt: j.prompt,
        embedding: null,
        promptTokens: null,
        maxOutputTokens: j.maxOutputTokens ?? s.maxOutputTokens,
        priority: 0,
        deadline: null,
        allowedModels: null,
        metadata: { ...j.metadata, line: String(i + 1) },
        submittedAt,
      };
      return { key: r.requestId, value: serde.encode(r) };
    });
  const kafka = createKafka(configSchema.shape.kafka.parse({ brokers: [...s.brokers], clientId: `${s.jobId}-rate-submit` }), { role: 'bench', logLevel: 'error' });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const periodMs = 1_000 / s.requestsPerSec;
  const t0 = Date.now();
  let sent = 0;
  let maxBehindMs = 0;
  while (sent < values.length) {
    const due = Math.min(values.length, Math.floor((Date.now() - t0) / periodMs) + 1);
    if (due > sent) {
      const end = Math.min(due, sent + MAX_CHUNK);
      const messages = [];
      for (let i = sent; i < end; i++) messages.push({ ...values[i]!, timestamp: String(Math.round(t0 + i * periodMs)) });
      maxBehindMs = Math.max(maxBehindMs, Date.now() - (t0 + sent * periodMs));
      await producer.send({ topic: s.topic, messages, acks: -1 });
      sent = end;
    } else {
      await new Promise((r) => setTimeout(r, TICK_MS));
    }
  }
  await producer.disconnect();
  process.stdout.write(`${JSON.stringify({ sent, elapsedMs: Date.now() - t0, maxBehindMs: Math.round(maxBehindMs) })}\n`);
}

await main();
