// The runner's give-up rule, on an in-memory stand-in for kafkajs: a handler that fails with a
// retriable error (a database or broker that is down) is retried for as long as the outage
// lasts, far beyond retry.maxRetries, while a non-retriable failure still ends the runner.
import { describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { KafkaIoError, TransactionalRunner } from '../src/index.ts';
import type { RunnerEvent } from '../src/index.ts';

/** One partition with one message, fed to eachBatch again after every seek, until stopped. */
function fakeKafka(): { kafka: Kafka; commits: () => number } {
  let commits = 0;
  let running = true;
  let eachBatch: ((payload: unknown) => Promise<void>) | null = null;
  let loop: Promise<void> = Promise.resolve();
  let resolved = false;
  const consumer = {
    events: { GROUP_JOIN: 'join', CRASH: 'crash' },
    on: () => undefined,
    connect: async () => undefined,
    subscribe: async () => undefined,
    pause: () => undefined,
    resume: () => undefined,
    seek: () => undefined,
    run: async (opts: { eachBatch: (payload: unknown) => Promise<void> }) => {
      eachBatch = opts.eachBatch;
      loop = (async () => {
        while (running && !resolved) {
          await eachBatch!({
            batch: { topic: 'in', partition: 0, messages: [{ offset: '0', key: null, value: Buffer.from('x'), headers: {} }], lastOffset: () => '0' },
            resolveOffset: () => {
              resolved = true;
            },
            heartbeat: async () => undefined,
            isRunning: () => running,
            isStale: () => false,
          });
          await new Promise((r) => setImmediate(r));
        }
      })();
    },
    disconnect: async () => {
      running = false;
      await loop;
    },
  };
  const admin = { connect: async () => undefined, disconnect: async () => undefined, fetchOffsets: async () => [{ topic: 'in', partitions: [{ partition: 0, offset: '-1' }] }] };
  const transaction = async () => ({
    sendBatch: async () => undefined,
    sendOffsets: async () => undefined,
    commit: async () => {
      commits++;
    },
    abort: async () => undefined,
    isActive: () => true,
  });
  const producer = { connect: async () => undefined, disconnect: async () => undefined, transaction };
  const kafka = { consumer: () => consumer, admin: () => admin, producer: () => producer } as unknown as Kafka;
  return { kafka, commits: () => commits };
}

function runnerWith(kafka: Kafka, handler: () => Promise<{ records: [] }>, events: RunnerEvent[]): TransactionalRunner {
  return new TransactionalRunner({
    kafka,
    groupId: 'g',
    topics: ['in'],
    transactionalIdPrefix: 't',
    handler,
    retry: { initialDelayMs: 1, maxDelayMs: 2, maxRetries: 2 },
    onEvent: (e) => events.push(e),
  });
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 2_000 && !check(); i++) await new Promise((r) => setTimeout(r, 2));
  expect(check()).toBe(true);
}

describe('TransactionalRunner give-up rule', () => {
  it('retries a retriable failure past maxRetries and commits once it clears', async () => {
    const { kafka, commits } = fakeKafka();
    const events: RunnerEvent[] = [];
    let calls = 0;
    const runner = runnerWith(kafka, async () => {
      calls++;
      if (calls <= 12) throw new KafkaIoError('connection', 'database unavailable', { retriable: true });
      return { records: [] };
    }, events);
    await runner.start();
    await until(() => commits() === 1);
    expect(events.filter((e) => e.type === 'aborted')).toHaveLength(12);
    expect(events.some((e) => e.type === 'fatal')).toBe(false);
    await runner.stop();
    await expect(runner.done).resolves.toBeUndefined();
  });

  it('still gives up after maxRetries non-retriable failures', async () => {
    const { kafka, commits } = fakeKafka();
    const events: RunnerEvent[] = [];
    const runner = runnerWith(kafka, async () => {
      throw new Error('a bug in the handler');
    }, events);
    await runner.start();
    await expect(runner.done).rejects.toMatchObject({ code: 'handler_failed' });
    expect(events.filter((e) => e.type === 'aborted')).toHaveLength(3);
    expect(commits()).toBe(0);
  });
});
