// The Kafka side of a slice: a fetched batch becomes engine records, the handled prefix's
// outputs go back to the runner, and a deferral not yet due makes the runner read it again.
import type { KafkaMessage } from 'kafkajs';
import type { HeaderV1 } from '@switchyard/contracts';
import { sleep } from '@switchyard/kafka-io';
import type { BatchInput, BatchOutput } from '@switchyard/kafka-io';
import type { InputRecord } from '@switchyard/routing-engine';
import type { RouterMetrics } from './metrics.ts';
import type { SliceHandler } from './slice-handler.ts';

function headersOf(message: KafkaMessage): HeaderV1[] {
  const out: HeaderV1[] = [];
  for (const [key, raw] of Object.entries(message.headers ?? {})) {
    const values = Array.isArray(raw) ? raw : [raw];
    for (const v of values) {
      if (v === undefined) continue;
      out.push({ key, value: typeof v === 'string' ? Buffer.from(v, 'utf8') : v });
    }
  }
  return out;
}

export function kafkaBatchHandler(
  handleSlice: SliceHandler,
  metrics: RouterMetrics,
  opts: { readonly deferredPollMs: number; readonly clock: () => number },
): (input: BatchInput) => Promise<BatchOutput> {
  return async (input) => {
    const records: InputRecord[] = input.messages.map((m) => ({
      topic: input.topic,
      partition: input.partition,
      offset: m.offset,
      key: m.key,
      value: m.value,
      headers: headersOf(m),
    }));
    const result = await handleSlice(records);
    metrics.observeStep(result.stats, input.topic);
    if (result.processed === 0) {
      // The first record is a deferral that is not due: wait for it (bounded, so the other
      // deferred partitions get their turn), then let the runner read it again.
      const waitMs = Math.min(opts.deferredPollMs, Math.max(0, (result.pauseUntilMs ?? opts.clock()) - opts.clock()));
      await sleep(waitMs, input.signal).catch(() => undefined);
      const first = input.messages[0]!.offset;
      return { records: [], lastProcessedOffset: (BigInt(first) - 1n).toString() };
    }
    const last = input.messages[result.processed - 1]!.offset;
    return {
      records: result.messages.map((m) => ({ topic: m.topic, key: m.key, value: m.value })),
      lastProcessedOffset: last,
    };
  };
}
