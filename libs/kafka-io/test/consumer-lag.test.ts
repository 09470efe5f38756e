import { describe, expect, it } from 'vitest';
import type { Admin } from 'kafkajs';
import { Registry } from 'prom-client';
import { ConsumerLagMonitor, partitionLags } from '../src/consumer-lag.ts';
import type { GroupCommits, TopicEnds } from '../src/consumer-lag.ts';

const target = { groupId: 'g', topics: ['t'], stream: 'requests' };

describe('partitionLags', () => {
  it('is the log-end offset minus the committed offset, per partition', () => {
    const ends: TopicEnds[] = [{ topic: 't', partitions: [{ partition: 1, low: '0', high: '50' }, { partition: 0, low: '0', high: '120' }] }];
    const commits: GroupCommits[] = [{ topic: 't', partitions: [{ partition: 0, offset: '100' }, { partition: 1, offset: '50' }] }];
    expect(partitionLags(target, ends, commits)).toEqual([
      { groupId: 'g', stream: 'requests', topic: 't', partition: 0, endOffset: 120, committedOffset: 100, lag: 20 },
      { groupId: 'g', stream: 'requests', topic: 't', partition: 1, endOffset: 50, committedOffset: 50, lag: 0 },
    ]);
  });

  it('counts a partition without a commit from its log start offset', () => {
    const ends: TopicEnds[] = [{ topic: 't', partitions: [{ partition: 0, low: '30', high: '45' }] }];
    const commits: GroupCommits[] = [{ topic: 't', partitions: [{ partition: 0, offset: '-1' }] }];
    expect(partitionLags(target, ends, commits)).toEqual([{ groupId: 'g', stream: 'requests', topic: 't', partition: 0, endOffset: 45, committedOffset: null, lag: 15 }]);
  });

  it('never reports a negative lag (a commit past the end of a recreated topic)', () => {
    const ends: TopicEnds[] = [{ topic: 't', partitions: [{ partition: 0, low: '0', high: '3' }] }];
    const commits: GroupCommits[] = [{ topic: 't', partitions: [{ partition: 0, offset: '900' }] }];
    expect(partitionLags(target, ends, commits)[0]).toMatchObject({ lag: 0, committedOffset: 900 });
  });
});

/** An admin client whose offsets the test sets; `fail` makes the next calls throw. */
function fakeKafka() {
  const state = { high: '10', committed: '-1', fail: false, connects: 0, disconnects: 0 };
  const admin = {
    connect: async () => {
      state.connects++;
    },
    disconnect: async () => {
      state.disconnects++;
    },
    fetchTopicOffsets: async (topic: string) => {
      if (state.fail) throw new Error(`broker gone (${topic})`);
      return [{ partition: 0, offset: state.high, high: state.high, low: '0' }];
    },
    fetchOffsets: async ({ topics }: { topics: string[] }) => topics.map((topic) => ({ topic, partitions: [{ partition: 0, offset: state.committed, metadata: null }] })),
  };
  return { state, kafka: { admin: () => admin as unknown as Admin } };
}

describe('ConsumerLagMonitor', () => {
  it('exports the lag and committed offset of the last poll as gauges, and keeps them after a failed poll', async () => {
    const { state, kafka } = fakeKafka();
    const registry = new Registry();
    const errors: unknown[] = [];
    const monitor = new ConsumerLagMonitor({ kafka, targets: [target], intervalMs: 60_000, registry, onError: (e) => errors.push(e) });
    await monitor.poll();
    let text = await registry.metrics();
    expect(text).toContain('switchyard_consumer_lag{group="g",stream="requests",topic="t",partition="0"} 10');
    expect(text).not.toContain('switchyard_consumer_committed_offset{');

    state.committed = '4';
    state.high = '12';
    await monitor.poll();
    text = await registry.metrics();
    expect(text).toContain('switchyard_consumer_lag{group="g",stream="requests",topic="t",partition="0"} 8');
    expect(text).toContain('switchyard_consumer_committed_offset{group="g",stream="requests",topic="t",partition="0"} 4');

    state.fail = true;
    await monitor.poll();
    expect(errors).toHaveLength(1);
    text = await registry.metrics();
    expect(text).toContain('switchyard_consumer_lag{group="g",stream="requests",topic="t",partition="0"} 8');
    expect(text).toContain('switchyard_consumer_lag_polls_total{result="failed"} 1');
    expect(text).toContain('switchyard_consumer_lag_polls_total{result="ok"} 2');

    // The failed connection was dropped; the next poll connects again.
    state.fail = false;
    state.committed = '12';
    await monitor.poll();
    expect(state.connects).toBe(2);
    expect(monitor.latest()).toEqual([{ groupId: 'g', stream: 'requests', topic: 't', partition: 0, endOffset: 12, committedOffset: 12, lag: 0 }]);
    await monitor.stop();
    expect(state.disconnects).toBe(2);
  });

  it('polls on its interval after start and not after stop', async () => {
    const { state, kafka } = fakeKafka();
    const monitor = new ConsumerLagMonitor({ kafka, targets: [target], intervalMs: 5, registry: new Registry(), onError: () => undefined });
    await monitor.start();
    state.high = '99';
    const deadline = Date.now() + 10_000;
    while (monitor.latest()[0]?.endOffset !== 99 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(monitor.latest()[0]?.endOffset).toBe(99);
    await monitor.stop();
    state.high = '100';
    await new Promise((r) => setTimeout(r, 30));
    expect(monitor.latest()[0]?.endOffset).toBe(99);
  });
});
