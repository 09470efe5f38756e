import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { runUntilStopped } from '../src/process.ts';

function capture(): { log: Logger; lines: () => { msg: string }[] } {
  const out: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out.push(chunk.toString());
      cb();
    },
  });
  return { log: pino({ level: 'info' }, stream) as Logger, lines: () => out.join('').trim().split('\n').map((l) => JSON.parse(l) as { msg: string }) };
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
});
