/** Steady-state timing of a synchronous call: warm-up calls first, then timed calls until both minimums are met. */
export interface SteadyStats {
  reps: number;
  medianMs: number;
  p90Ms: number;
  meanMs: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export function measureSteady(fn: () => void, o: { warmup: number; minTimeMs: number; minReps: number; maxReps: number }): SteadyStats {
  for (let i = 0; i < o.warmup; i++) fn();
  const samples: number[] = [];
  let total = 0;
  while (samples.length < o.maxReps && (samples.length < o.minReps || total < o.minTimeMs)) {
    const start = performance.now();
    fn();
    const elapsed = performance.now() - start;
    samples.push(elapsed);
    total += elapsed;
  }
  samples.sort((a, b) => a - b);
  return { reps: samples.length, medianMs: percentile(samples, 50), p90Ms: percentile(samples, 90), meanMs: total / samples.length };
}

export function timeOnce<T>(fn: () => T): { value: T; ms: number } {
  const start = performance.now();
  const value = fn();
  return { value, ms: performance.now() - start };
}

export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}
