// After a send kafkajs gave up on, the outcome reporter does not reuse that idempotent producer:
// the broker may have taken the batch, and the next records could reuse sequence numbers it
// already accepted and be dropped as duplicates. The next call goes through a new producer.
import { describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { sampleOutcome } from '@switchyard/contracts';
import type { RegistryPort } from '@switchyard/contracts';
import { OutcomeReporter } from '../src/index.ts';

const registry: RegistryPort = {
  register: async () => 1,
  getId: async () => 1,
  getBySubjectAndId: async () => {
    throw new Error('unused');
  },
};

describe('OutcomeReporter after a failed send', () => {
  it('sends the next outcomes through a new producer and disconnects the old one', async () => {
    const producers: { id: number; sends: number; disconnected: boolean }[] = [];
    let failNext = true;
    const kafka = {
      producer: () => {
        const p = { id: producers.length, sends: 0, disconnected: false };
        producers.push(p);
        return {
          connect: async () => undefined,
          disconnect: async () => {
            p.disconnected = true;
          },
          send: async () => {
            p.sends++;
            if (failNext) {
              failNext = false;
              throw Object.assign(new Error('request timed out'), { name: 'KafkaJSRequestTimeoutError', retriable: true });
            }
            return [];
          },
        };
      },
    } as unknown as Kafka;
    const reporter = await OutcomeReporter.create({ kafka, registry, topic: 'outcomes' });
    await expect(reporter.report(sampleOutcome())).rejects.toMatchObject({ name: 'ExecutorKitError' });
    await reporter.report(sampleOutcome());
    expect(producers.map((p) => [p.sends, p.disconnected])).toEqual([
      [1, true],
      [1, false],
    ]);
    await reporter.close();
  });
});
