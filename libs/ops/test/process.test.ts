import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { DependencyHealth } from '../src/index.ts';
import { runUntilStopped } from '../src/process.ts';

function capture(): { log: Logger; lines: () => { msg: string }[] } {
  const out: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out.push(chunk.toString());
      cb();
    },
  });
  return { log: pino({ level: 'info' }, stream) as Logger, lines: () => out.join('').trim().split('\n').map((l) => JSON.parse(l) as { msg: string; [k: string]: unknown }) };
}

describe('runUntilStopped', () => {
  it('says "stopped" once for a service that logs its own stop', async () => {
    const { log, lines } = capture();
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    const service = {
      done,
      stop: async () => {
        log.info('router stopped');
        finish();
      },
    };
    const running = runUntilStopped(service, log, { name: 'router' });
    await service.stop();
    expect(await running).toBe(0);
    expect(lines().filter((l) => l.msg.includes('stopped'))).toHaveLength(1);
  });

  it('exits 1 and says why when the service fails', async () => {
    const { log, lines } = capture();
    const code = await runUntilStopped({ done: Promise.reject(new Error('boom')), stop: async () => undefined }, log, { name: 'router' });
    expect(code).toBe(1);
    expect(lines().map((l) => l.msg)).toEqual(['router stopped on a fatal error']);
  });

  describe('with failure clocks', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    function stoppable(): { done: Promise<void>; stop: () => Promise<void>; stops: () => number } {
      let finish!: () => void;
      let stops = 0;
      const done = new Promise<void>((resolve) => (finish = resolve));
      return {
        done,
        stop: async () => {
          stops++;
          finish();
        },
        stops: () => stops,
      };
    }

    it('stops the service and exits 1, saying which dependency and for how long, once one has failed for maxFailureDurationMs', async () => {
      vi.useFakeTimers();
      const { log, lines } = capture();
      let now = 0;
      const health = new DependencyHealth({ readyFailureMs: 1_000, maxFailureDurationMs: 5_000, clock: () => now });
      const service = stoppable();
      const running = runUntilStopped(service, log, { name: 'router', health, healthCheckIntervalMs: 500 });
      const pg = health.reporter('postgres');
      pg.failed(new Error('connect ECONNREFUSED'));
      for (let i = 0; i < 9; i++) {
        now += 500;
        await vi.advanceTimersByTimeAsync(500);
      }
      expect(service.stops()).toBe(0);
      now += 500;
      await vi.advanceTimersByTimeAsync(500);
      expect(service.stops()).toBe(1);
      expect(await running).toBe(1);
      const gaveUp = lines().find((l) => l.msg.includes('maxFailureDurationMs'));
      expect(gaveUp).toMatchObject({ dependency: 'postgres', failingForMs: 5_000, maxFailureDurationMs: 5_000, lastError: 'Error: connect ECONNREFUSED' });
      expect(lines().at(-1)).toMatchObject({ exitCode: 1 });
    });

    it('keeps running through failures that end before maxFailureDurationMs, and without one set', async () => {
      vi.useFakeTimers();
      const { log } = capture();
      let now = 0;
      const capped = new DependencyHealth({ readyFailureMs: 1_000, maxFailureDurationMs: 5_000, clock: () => now });
      const uncapped = new DependencyHealth({ readyFailureMs: 1_000, clock: () => now });
      const a = stoppable();
      const b = stoppable();
      const runningA = runUntilStopped(a, log, { name: 'a', health: capped, healthCheckIntervalMs: 500 });
      const runningB = runUntilStopped(b, log, { name: 'b', health: uncapped, healthCheckIntervalMs: 500 });
      for (const h of [capped, uncapped]) h.reporter('kafka').failed(new Error('broker down'));
      for (let i = 0; i < 8; i++) {
        now += 500;
        await vi.advanceTimersByTimeAsync(500);
      }
      capped.reporter('kafka').succeeded();
      for (let i = 0; i < 20; i++) {
        now += 500;
        await vi.advanceTimersByTimeAsync(500);
      }
      expect(a.stops()).toBe(0);
      expect(b.stops()).toBe(0);
      await a.stop();
      await b.stop();
      expect(await runningA).toBe(0);
      expect(await runningB).toBe(0);
    });
  });
});
