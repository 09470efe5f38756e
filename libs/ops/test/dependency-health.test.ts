import { describe, expect, it } from 'vitest';
import { DependencyHealth } from '../src/index.ts';

function fakeClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('DependencyHealth', () => {
  it('runs a clock from the first failure, keeps it through later failures and stops it at the first success', () => {
    const clock = fakeClock();
    const health = new DependencyHealth({ readyFailureMs: 15_000, clock: clock.now });
    const pg = health.reporter('postgres');
    expect(health.failing()).toEqual([]);
    expect(health.failingSeconds('postgres')).toBe(0);

    pg.failed(new Error('connect ECONNREFUSED'));
    const since = clock.now();
    clock.advance(4_000);
    pg.failed(new Error('Connection terminated unexpectedly'));
    clock.advance(1_000);
    expect(health.failing()).toEqual([{ dependency: 'postgres', failingSinceMs: since, failingForMs: 5_000, lastError: 'Error: Connection terminated unexpectedly' }]);
    expect(health.failingSeconds('postgres')).toBe(5);
    expect(health.failingSeconds('kafka')).toBe(0);

    pg.succeeded();
    expect(health.failing()).toEqual([]);
    clock.advance(1_000);
    pg.failed('plain string');
    expect(health.failing()[0]).toMatchObject({ failingSinceMs: clock.now(), failingForMs: 0, lastError: 'plain string' });
  });

  it('is not ready once a dependency has failed for longer than readyFailureMs, and ready again at its first success', () => {
    const clock = fakeClock();
    const health = new DependencyHealth({ readyFailureMs: 15_000, clock: clock.now });
    const kafka = health.reporter('kafka');
    const registry = health.reporter('registry');
    kafka.failed(new Error('broker down'));
    clock.advance(15_000);
    expect(health.ready()).toBe(true);
    clock.advance(1);
    expect(health.ready()).toBe(false);
    expect(health.notReadyBecause().map((f) => f.dependency)).toEqual(['kafka']);

    // Another dependency failing for less long is listed but does not decide.
    registry.failed(new Error('503'));
    clock.advance(2_000);
    expect(health.failing().map((f) => f.dependency)).toEqual(['kafka', 'registry']);
    expect(health.notReadyBecause().map((f) => f.dependency)).toEqual(['kafka']);

    kafka.succeeded();
    expect(health.ready()).toBe(true);
    clock.advance(14_000);
    expect(health.ready()).toBe(false);
    expect(health.notReadyBecause().map((f) => f.dependency)).toEqual(['registry']);
  });

  it('names the dependency past maxFailureDurationMs, and never does without one', () => {
    const clock = fakeClock();
    const capped = new DependencyHealth({ readyFailureMs: 1_000, maxFailureDurationMs: 10_000, clock: clock.now });
    const uncapped = new DependencyHealth({ readyFailureMs: 1_000, clock: clock.now });
    capped.reporter('postgres').failed(new Error('down'));
    uncapped.reporter('postgres').failed(new Error('down'));
    clock.advance(9_999);
    expect(capped.exceeded()).toBeNull();
    clock.advance(1);
    expect(capped.exceeded()).toMatchObject({ dependency: 'postgres', failingForMs: 10_000 });
    clock.advance(1_000_000);
    expect(uncapped.exceeded()).toBeNull();
    capped.reporter('postgres').succeeded();
    expect(capped.exceeded()).toBeNull();
  });

  it('refuses durations that are not positive', () => {
    expect(() => new DependencyHealth({ readyFailureMs: 0 })).toThrow(RangeError);
    expect(() => new DependencyHealth({ readyFailureMs: 1, maxFailureDurationMs: -1 })).toThrow(RangeError);
  });

  it('keeps a dependency failing while any of its sources fails, since the earliest, so one part\'s successes cannot hide another\'s outage', () => {
    const clock = fakeClock();
    const health = new DependencyHealth({ readyFailureMs: 10_000, clock: clock.now });
    const requests = health.reporter('kafka', 'requests');
    const deferred = health.reporter('kafka', 'deferred');
    requests.failed(new Error('produce to partition 3 failed'));
    const since = clock.now();
    clock.advance(3_000);
    deferred.failed(new Error('heartbeat failed'));
    clock.advance(3_000);
    deferred.succeeded();
    requests.failed(new Error('still failing'));
    clock.advance(5_000);
    expect(health.failing()).toEqual([{ dependency: 'kafka', failingSinceMs: since, failingForMs: 11_000, lastError: 'Error: still failing' }]);
    expect(health.ready()).toBe(false);
    requests.succeeded();
    expect(health.ready()).toBe(true);
    expect(health.failingSeconds('kafka')).toBe(0);
  });
});
