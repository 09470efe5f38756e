// Text table of a scenario report: one row per (scenario, variant), then the paired on - off.
import type { Stat } from './run.ts';
import { SCENARIO_VARIANTS, type ScenarioReport } from './scenario-run.ts';

const fmt = (s: Stat, digits: number): string => `${s.mean.toFixed(digits)} ± ${s.sd.toFixed(digits)}`;
const ci = (p: { mean: number; ci95: [number, number] }): string => `${p.mean.toFixed(1)} [${p.ci95[0].toFixed(1)}, ${p.ci95[1].toFixed(1)}]`;
const share = (g: number | null): string => (g === null ? 'n/a' : g.toFixed(2));

export function formatScenarioReport(r: ScenarioReport): string {
  const header = ['scenario', 'variant', 'performance', 'Q1', 'Q2', 'Q3', 'Q4', 'test seg.', 'served', 'lost', 'changed m.', 'exceeded', 'on − off, 95% CI', 'gapClosed'];
  const rows: string[][] = [];
  for (const [name, s] of Object.entries(r.scenarios)) {
    for (const v of SCENARIO_VARIANTS) {
      const m = s.variants[v];
      const paired = v === 'on' ? [ci(s.onMinusOff), share(s.gapClosed)] : ['', ''];
      rows.push([v === 'off' ? name : '', v, fmt(m.performance, 1), ...m.quarters.map((q) => q.mean.toFixed(1)), m.testSegment.mean.toFixed(1), m.served.mean.toFixed(1), m.lost.mean.toFixed(1), s.changedModels.length ? m.changedServed.mean.toFixed(1) : '', m.budgetExceeded ? 'YES' : 'no', ...paired]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const segments = Object.entries(r.scenarios)
    .filter(([, s]) => s.testFrom > 0)
    .map(([name, s]) => `${name}, test segment only (from position ${s.testFrom}): on − off ${ci(s.testSegment.onMinusOff)}, gapClosed ${share(s.testSegment.gapClosed)}`);
  const pct = (x: Stat): string => `${(100 * x.mean).toFixed(1)}%`;
  const mixes = Object.entries(r.scenarios)
    .filter(([, s]) => s.changeAt !== null && s.changedModels.length === 1)
    .map(([name, s]) => {
      const shares = SCENARIO_VARIANTS.map((v) => `${v} ${pct(s.variants[v].changedShareBefore)} -> ${pct(s.variants[v].changedShareAfter)}`).join(', ');
      const on = s.variants.on;
      const follow = on.followOutcomes
        ? `; on: its observed cost ratio went half the way (log scale) to the new price after ${on.followOutcomes.mean.toFixed(1)} ± ${on.followOutcomes.sd.toFixed(1)} of its outcomes (${on.followReached} of ${r.seeds} seeds)`
        : '';
      return `${name}: the changed model's share of served queries before -> after the change: ${shares}${follow}`;
    });
  const changes = Object.entries(r.scenarios).map(([name, s]) => `${name}: ${s.nStream} queries${s.changeAt !== null ? `, change at ${s.changeAt}` : ''}${s.changedModels.length ? `, models ${s.changedModels.join(', ')}` : ''}`);
  return [
    `dataset ${r.dataset}: factor ${r.factor}, split ${r.split}, ${r.seeds} seeds from ${r.firstSeed}, batch ${r.batchSize}, k ${r.k} per model of ${r.k * r.searchWidth} searched, embedder ${r.embedder}`,
    ...changes,
    '',
    line(header),
    `|${widths.map((w, i) => (i < 2 ? ':' : '') + '-'.repeat(w + 1) + (i < 2 ? '' : ':')).join('|')}|`,
    ...rows.map(line),
    ...(segments.length ? ['', ...segments] : []),
    ...(mixes.length ? ['', ...mixes] : []),
  ].join('\n');
}
