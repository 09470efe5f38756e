import { describe, expect, it } from 'vitest';
import { CpuGroup, parseMachineCpu, parseProcStat, uptimeTicks } from '../cpu.ts';
import type { ProcStat } from '../cpu.ts';

// A real line's shape (proc(5)), with a command name holding a space and a parenthesis.
const LINE =
  '4242 (node (tsx) x) S 4200 4242 4200 0 -1 4194560 12345 0 0 0 731 129 17 5 20 0 11 0 987654 1234567890 45678 18446744073709551615 1 1 0 0 0 0 0 16781312 134235650 0 0 0 17 1 0 0 0 0 0';

describe('parseProcStat', () => {
  it('reads utime, stime, cutime, cstime and start time after the last parenthesis', () => {
    const st = parseProcStat(LINE);
    expect(st).toMatchObject({ pid: 4242, comm: 'node (tsx) x', state: 'S', ppid: 4200, utimeTicks: 731, stimeTicks: 129, cutimeTicks: 17, cstimeTicks: 5, startTimeTicks: 987654 });
  });

  it('rejects text that is not a stat line', () => {
    expect(() => parseProcStat('no parens here')).toThrow();
    expect(() => parseProcStat('1 (x) S 2 3')).toThrow();
  });
});

describe('uptimeTicks', () => {
  it('converts /proc/uptime seconds to clock ticks', () => {
    expect(uptimeTicks(100, '12345.67 54321.00\n')).toBe(1_234_567);
  });
});

describe('CpuGroup', () => {
  const stat = (pid: number, ticks: number, start: number): ProcStat => ({ pid, comm: 'p', state: 'S', ppid: 1, utimeTicks: ticks, stimeTicks: 0, cutimeTicks: 0, cstimeTicks: 0, startTimeTicks: start });

  it('counts old processes from their first sample, new ones from zero, and exited ones up to their last sample', () => {
    let pids = [1, 2];
    const table = new Map<number, ProcStat>([
      [1, stat(1, 500, 10)],
      [2, stat(2, 300, 20)],
    ]);
    const g = new CpuGroup('g', () => pids, 1_000);
    g.sample((pid) => table.get(pid) ?? null);
    // pid 1 works 50 ticks, pid 2 works 20 then exits, pid 3 starts after the baseline with 40.
    table.set(1, stat(1, 550, 10));
    table.set(2, stat(2, 320, 20));
    pids = [1, 2, 3];
    table.set(3, stat(3, 40, 1_500));
    g.sample((pid) => table.get(pid) ?? null);
    table.delete(2);
    pids = [1, 3];
    g.sample((pid) => table.get(pid) ?? null);
    expect(g.usedTicks()).toBe(50 + 20 + 40);
    expect(g.processCount).toBe(3);
  });

  it('treats a reused pid with a new start time as a new process', () => {
    const g = new CpuGroup('g', () => [7], 100);
    g.sample(() => stat(7, 900, 50));
    g.sample(() => stat(7, 30, 200));
    expect(g.usedTicks()).toBe(30);
  });
});

describe('parseMachineCpu', () => {
  it('counts every state but idle and iowait as busy, leaving guest time out (already in user)', () => {
    const m = parseMachineCpu('cpu  100 5 20 1000 30 1 2 3 50 0\ncpu0 50 2 10 500 15 0 1 1 25 0\nintr 1\n');
    expect(m.totalTicks).toBe(100 + 5 + 20 + 1000 + 30 + 1 + 2 + 3);
    expect(m.busyTicks).toBe(100 + 5 + 20 + 1 + 2 + 3);
  });

  it('rejects text without the aggregate line', () => {
    expect(() => parseMachineCpu('cpu0 1 2 3 4\n')).toThrow();
  });
});
