/**
 * CPU accounting from /proc (Linux): per process, user + system time from /proc/<pid>/stat,
 * which for a process counts all its threads (the router's worker threads included) and, in
 * the cutime/cstime fields, the children it has reaped.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

export interface ProcStat {
  readonly pid: number;
  readonly comm: string;
  readonly state: string;
  readonly ppid: number;
  readonly utimeTicks: number;
  readonly stimeTicks: number;
  /** Reaped children's user and system time. */
  readonly cutimeTicks: number;
  readonly cstimeTicks: number;
  readonly startTimeTicks: number;
}

/**
 * Parses one /proc/<pid>/stat line (proc(5)). The command name is in parentheses and may hold
 * spaces and parentheses itself, so fields are counted from the last ')'.
 */
export function parseProcStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`not a /proc/<pid>/stat line: '${text.slice(0, 80)}'`);
  const pid = Number(text.slice(0, open).trim());
  const comm = text.slice(open + 1, close);
  // Fields after the comm start at field 3 (state); utime is field 14, stime 15, cutime 16,
  // cstime 17, starttime 22.
  const rest = text.slice(close + 1).trim().split(/\s+/);
  const field = (n: number): number => {
    const v = Number(rest[n - 3]);
    if (!Number.isFinite(v)) throw new Error(`/proc/<pid>/stat field ${n} is not a number in '${text.slice(0, 80)}'`);
    return v;
  };
  if (!Number.isSafeInteger(pid) || rest.length < 20) throw new Error(`not a /proc/<pid>/stat line: '${text.slice(0, 80)}'`);
  return {
    pid,
    comm,
    state: rest[0]!,
    ppid: field(4),
    utimeTicks: field(14),
    stimeTicks: field(15),
    cutimeTicks: field(16),
    cstimeTicks: field(17),
    startTimeTicks: field(22),
  };
}

export function readProcStat(pid: number): ProcStat | null {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/** Clock ticks per second (getconf CLK_TCK; 100 on practically every Linux). */
export function clockTicksPerSec(): number {
  try {
    const v = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(v) && v > 0 ? v : 100;
  } catch {
    return 100;
  }
}

/** Pids whose /proc/<pid>/comm equals `comm` (e.g. every postgres server process). */
export function pidsByComm(comm: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/comm`, 'utf8').trim() === comm) out.push(Number(name));
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return out;
}

/** Pids whose command line contains `needle` (a JVM by its main class or jar). */
export function pidsByCmdline(needle: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\u0000', ' ').includes(needle)) out.push(Number(name));
    } catch {
      // Ended, or not ours to read.
    }
  }
  return out;
}

/**
 * CPU used by a group of processes over an interval. Each pid's baseline is its time when first
 * seen (0 when it started after the interval began, so a backend that a pool opens mid-run counts
 * in full); its last sample is kept, so a process that exits before the end still counts up to
 * its last sample. Keyed by pid and start time, so a reused pid is a new process.
 */
export class CpuGroup {
  private readonly procs = new Map<string, { base: number; last: number }>();

  constructor(
    readonly name: string,
    private readonly findPids: () => readonly number[],
    private readonly startedAtTicks: number,
  ) {}

  sample(read: (pid: number) => ProcStat | null = readProcStat): void {
    for (const pid of this.findPids()) {
      const st = read(pid);
      if (st === null) continue;
      const key = `${st.pid}@${st.startTimeTicks}`;
      const ticks = st.utimeTicks + st.stimeTicks;
      const known = this.procs.get(key);
      if (known === undefined) this.procs.set(key, { base: st.startTimeTicks >= this.startedAtTicks ? 0 : ticks, last: ticks });
      else known.last = ticks;
    }
  }

  /** Ticks used since the group's baseline, summed over its processes. */
  usedTicks(): number {
    let sum = 0;
    for (const p of this.procs.values()) sum += p.last - p.base;
    return sum;
  }

  get processCount(): number {
    return this.procs.size;
  }
}

/** Ticks since boot now, in the unit of /proc/<pid>/stat's starttime (from /proc/uptime). */
export function uptimeTicks(ticksPerSec: number, uptimeText: string = readFileSync('/proc/uptime', 'utf8')): number {
  const seconds = Number(uptimeText.trim().split(/\s+/)[0]);
  if (!Number.isFinite(seconds)) throw new Error(`not a /proc/uptime line: '${uptimeText}'`);
  return Math.floor(seconds * ticksPerSec);
}

export interface MachineCpu {
  /** Ticks spent in any state but idle and iowait, over all CPUs. */
  readonly busyTicks: number;
  readonly totalTicks: number;
}

/** The aggregate `cpu` line of /proc/stat (proc(5)): user nice system idle iowait irq softirq steal ... */
export function parseMachineCpu(procStat: string): MachineCpu {
  const line = procStat.split('\n').find((l) => l.startsWith('cpu '));
  if (line === undefined) throw new Error('no aggregate cpu line in /proc/stat');
  // guest and guest_nice (fields 9, 10) are already counted in user and nice.
  const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (v.length < 4 || v.some((x) => !Number.isFinite(x))) throw new Error(`not a /proc/stat cpu line: '${line}'`);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = v[3]! + (v[4] ?? 0);
  return { busyTicks: total - idle, totalTicks: total };
}

export function readMachineCpu(): MachineCpu {
  return parseMachineCpu(readFileSync('/proc/stat', 'utf8'));
}
