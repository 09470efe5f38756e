// What the runner does when kafkajs gives up on its consumer (CRASH with restart: false), on an
// in-memory stand-in for kafkajs: during a broker outage an unreachable group coordinator is
// reported as KafkaJSNonRetriableError, so kafkajs does not restart; the runner starts the
// consumer again itself for an error that is retriable by its own classification, and still
// ends on one that is not.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { TransactionalRunner } from '../src/index.ts';
import type { RunnerEvent } from '../src/index.ts';

interface FakeKafka {
  kafka: Kafka;
  crash: (error: Error) => void;
  join: (memberId: string) => void;
  heartbeat: () => void;
  runs: () => number;
  /** LeaveGroup requests sent through the client's private cluster factory, in order. */
  leaves: { groupId: string; memberId: string }[];
}

function fakeKafka(): FakeKafka {
  const emitter = new EventEmitter();
  let runs = 0;
  const leaves: { groupId: string; memberId: string }[] = [];
  const consumer = {
    events: { GROUP_JOIN: 'join', CRASH: 'crash', HEARTBEAT: 'heartbeat' },
    on: (event: string, listener: (e: unknown) => void) => emitter.on(event, listener),
    connect: async () => undefined,
    subscribe: async () => undefined,
    run: async () => {
      runs++;
    },
    disconnect: async () => undefined,
  };
  const admin = { connect: async () => undefined, disconnect: async () => undefined };
  const cluster = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    findGroupCoordinator: async () => ({ leaveGroup: async (args: { groupId: string; memberId: string }) => leaves.push(args) }),
  };
  // kafkajs keeps its cluster factory under a private symbol (see stale-member.ts).
  const kafka = { consumer: () => consumer, admin: () => admin, [Symbol('private:Kafka:createCluster')]: () => cluster } as unknown as Kafka;
  return {
    kafka,
    crash: (error) => emitter.emit('crash', { payload: { error, groupId: 'g', restart: false } }),
    join: (memberId) => emitter.emit('join', { payload: { memberId, memberAssignment: { in: [0] } } }),
    heartbeat: () => emitter.emit('heartbeat', { payload: {} }),
    runs: () => runs,
    leaves,
  };
}

/** kafkajs' shape: the connection failure wrapped in a non-retriable error. */
function coordinatorUnreachable(): Error {
  const cause = Object.assign(new Error('Failed to find group coordinator'), { name: 'KafkaJSGroupCoordinatorNotFound', retriable: false });
  return Object.assign(new Error('Failed to find group coordinator'), { name: 'KafkaJSNonRetriableError', retriable: false, cause });
}

function runnerOn(kafka: Kafka, events: RunnerEvent[], health?: { succeeded: () => void; failed: (e: unknown) => void }): TransactionalRunner {
  return new TransactionalRunner({
    ...(health !== undefined ? { health } : {}),
    kafka,
    groupId: 'g',
    topics: ['in'],
    transactionalIdPrefix: 't',
    handler: async () => ({ records: [] }),
    retry: { initialDelayMs: 1, maxDelayMs: 2, maxRetries: 2 },
    onEvent: (e) => events.push(e),
  });
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 2_000 && !check(); i++) await new Promise((r) => setTimeout(r, 2));
  expect(check()).toBe(true);
}

describe('TransactionalRunner when kafkajs does not restart its consumer', () => {
  it('starts the consumer again after a backoff for a retriable error, as often as it happens', async () => {
    const { kafka, crash, runs } = fakeKafka();
    const events: RunnerEvent[] = [];
    const runner = runnerOn(kafka, events);
    await runner.start();
    expect(runs()).toBe(1);
    for (let i = 1; i <= 5; i++) {
      crash(coordinatorUnreachable());
      await until(() => runs() === i + 1);
    }
    const restarts = events.filter((e) => e.type === 'consumer_restarting');
    expect(restarts.map((e) => (e.type === 'consumer_restarting' ? e.attempt : 0))).toEqual([1, 2, 3, 4, 5]);
    expect(events.some((e) => e.type === 'fatal')).toBe(false);
    await runner.stop();
    await expect(runner.done).resolves.toBeUndefined();
  });

  it('ends the runner on an error that is not retriable', async () => {
    const { kafka, crash, runs } = fakeKafka();
    const events: RunnerEvent[] = [];
    const runner = runnerOn(kafka, events);
    await runner.start();
    crash(Object.assign(new Error('not authorized'), { name: 'KafkaJSProtocolError', type: 'GROUP_AUTHORIZATION_FAILED', retriable: false }));
    await expect(runner.done).rejects.toMatchObject({ code: 'authorization' });
    expect(runs()).toBe(1);
    expect(events.some((e) => e.type === 'consumer_restarting')).toBe(false);
  });

  it('leaves the group for the member that crashed before it joins again, once', async () => {
    const { kafka, crash, join, runs, leaves } = fakeKafka();
    const events: RunnerEvent[] = [];
    const runner = runnerOn(kafka, events);
    await runner.start();
    join('member-1');
    crash(coordinatorUnreachable());
    await until(() => runs() === 2);
    expect(leaves).toEqual([{ groupId: 'g', memberId: 'member-1' }]);
    expect(events.filter((e) => e.type === 'stale_member_left')).toEqual([{ type: 'stale_member_left', memberId: 'member-1', result: 'left' }]);
    // A crash before the next join has no member of its own to leave.
    crash(coordinatorUnreachable());
    await until(() => runs() === 3);
    expect(leaves).toHaveLength(1);
    await runner.stop();
  });

  it("tells Kafka's failure clock of crashes, and of joins and heartbeats as successes", async () => {
    const { kafka, crash, join, heartbeat, runs } = fakeKafka();
    const log: string[] = [];
    const runner = runnerOn(kafka, [], { succeeded: () => log.push('ok'), failed: () => log.push('failed') });
    await runner.start();
    crash(coordinatorUnreachable());
    await until(() => runs() === 2);
    expect(log).toEqual(['failed']);
    join('member-2');
    heartbeat();
    expect(log).toEqual(['failed', 'ok', 'ok']);
    // A rebalance is the group at work, not an outage.
    crash(Object.assign(new Error('rebalancing'), { name: 'KafkaJSProtocolError', type: 'REBALANCE_IN_PROGRESS', retriable: true }));
    await until(() => runs() === 3);
    expect(log).toEqual(['failed', 'ok', 'ok']);
    await runner.stop();
  });
});
