// Progress on stderr while a job is read and sent: bytes of the file as the bar (so the ETA
// covers the whole file), lines and lines per second beside it. Drawn only on a terminal: piped
// or redirected stderr gets the final summary alone.
import cliProgress from 'cli-progress';

export interface ProgressSample {
  readonly bytesRead: number;
  readonly linesRead: number;
  readonly produced: number;
  readonly bad: number;
}

export interface Progress {
  update(sample: ProgressSample): void;
  stop(): void;
}

export interface ProgressOptions {
  readonly enabled: boolean;
  readonly totalBytes: number;
  readonly label: string;
  readonly stream: NodeJS.WritableStream;
  readonly clock?: () => number;
}

/** Lines per second over the whole run so far (cli-progress' own rate would be bytes). */
export function linesPerSecond(lines: number, elapsedMs: number): number {
  return elapsedMs <= 0 ? 0 : (lines * 1000) / elapsedMs;
}

export function createProgress(opts: ProgressOptions): Progress {
  if (!opts.enabled) return { update: () => undefined, stop: () => undefined };
  const clock = opts.clock ?? Date.now;
  const t0 = clock();
  const bar = new cliProgress.SingleBar(
    {
      stream: opts.stream,
      format: `${opts.label} [{bar}] {percentage}% | {lines} lines ({produced} sent, {bad} bad) | {rate} lines/s | ETA {eta_formatted}`,
      hideCursor: true,
      etaBuffer: 40,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(Math.max(1, opts.totalBytes), 0, { lines: 0, produced: 0, bad: 0, rate: '0' });
  return {
    update(s) {
      bar.update(Math.min(s.bytesRead, Math.max(1, opts.totalBytes)), {
        lines: s.linesRead,
        produced: s.produced,
        bad: s.bad,
        rate: linesPerSecond(s.linesRead, clock() - t0).toFixed(0),
      });
    },
    stop() {
      bar.stop();
    },
  };
}
