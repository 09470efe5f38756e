// The Kafka side of a slice: a fetched batch becomes engine records, the handled prefix's
// outputs go back to the runner, and a deferral not yet due makes the runner read it again.
import type { KafkaMessage } from 'kafkajs';
import type { HeaderV1 } from '@switchyard/contracts';
import { sleep } from '@switchyard/kafka-io';
import type { BatchInput, BatchOutput } from '@switchyard/kafka-io';
import type { InputRecord, SliceResult } from '@switchyard/routing-engine';
import type { RouterMetrics } from './metrics.ts';
import type { SliceHandler } from './slice-handler.ts';
import type { SliceTracer } from './slice-tracing.ts';

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
  opts: { readonly deferredPollMs: number; readonly clock: () => number; readonly tracer?: SliceTracer },
): (input: BatchInput) => Promise<BatchOutput> {
  return async (input) => {
    const traced = opts.tracer?.begin(input) ?? null;
    if (traced === null) return (await handle(input)).output;
    try {
      const { output, result } = await handle(input);
      return { ...output, records: opts.tracer!.finish(traced, input, result, output.records) };
    } catch (err) {
      opts.tracer!.fail(traced, err);
      throw err;
    }
  };

  async function handle(input: BatchInput): Promise<{ readonly output: BatchOutput; readonly result: SliceResult }> {
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
      return { output: { records: [], lastProcessedOffset: (BigInt(first) - 1n).toString() }, result };
    }
    const last = input.messages[result.processed - 1]!.offset;
    const outputs = result.messages.map((m) => ({ topic: m.topic, key: m.key, value: m.value }));
    return { output: { records: outputs, lastProcessedOffset: last }, result };
  }
}
