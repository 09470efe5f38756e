// The report's budget-use chart: a job's cumulative true spend (its outcomes' costs) against its
// dollar budget and against the pace that spreads the budget evenly up to the deadline (or,
// without one, over the time the job's outcomes took), by seconds since submission. Spend above
// the pace line means the job is ahead of its pace; the spend line never crosses the budget line.
import { H, M, PLOT_H, W, scale, svgOpen, xAxis, yAxis } from './charts.ts';
import type { ReportUsdBudget } from './data.ts';
import { esc, fmtUsd, niceTicks, px } from './svg.ts';

/** Most points the spend line gets; a longer series keeps every n-th point and the last. */
const MAX_POINTS = 720;

/** End of the pace line: the deadline, else the last outcome, else the submission itself. */
export function paceEndMs(b: ReportUsdBudget): number {
  return b.deadlineMs ?? b.spend.at(-1)?.atMs ?? b.submittedAtMs;
}

function thinned<T>(xs: readonly T[]): readonly T[] {
  if (xs.length <= MAX_POINTS) return xs;
  const step = Math.ceil(xs.length / MAX_POINTS);
  return xs.filter((_, i) => i % step === 0 || i === xs.length - 1);
}

export function budgetChart(b: ReportUsdBudget): string {
  const t0 = b.submittedAtMs;
  const endS = Math.max(1, (Math.max(paceEndMs(b), b.spend.at(-1)?.atMs ?? t0) - t0) / 1000);
  const spent = b.spend.at(-1)?.cumulativeUsd ?? 0;
  const yTicks = niceTicks(0, Math.max(b.budgetUsd, spent), 5);
  const xTicks = niceTicks(0, endS, 6);
  const x = scale(0, xTicks[xTicks.length - 1] ?? endS, M.left, W - M.right);
  const y = scale(0, yTicks[yTicks.length - 1] ?? b.budgetUsd, M.top + PLOT_H, M.top);
  const sx = (ms: number): string => px(x((ms - t0) / 1000));
  const budgetLine = `<g class="mark" data-series="budget"><title>${esc(`budget ${fmtUsd(b.budgetUsd)}`)}</title><line x1="${M.left}" x2="${W - M.right}" y1="${px(y(b.budgetUsd))}" y2="${px(y(b.budgetUsd))}" stroke="#c0392b" stroke-width="2"/></g>`;
  const paceLine =
    `<g class="mark" data-series="pace"><title>${esc(`pace: ${fmtUsd(b.budgetUsd)} spread evenly until ${b.deadlineMs === null ? 'the last outcome' : 'the deadline'}`)}</title>` +
    `<path d="M${sx(t0)} ${px(y(0))} L${sx(paceEndMs(b))} ${px(y(b.budgetUsd))}" fill="none" stroke="#8a94a6" stroke-width="2" stroke-dasharray="6 4"/></g>`;
  const pts = [{ atMs: t0, cumulativeUsd: 0 }, ...thinned(b.spend)];
  const d = pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${sx(p.atMs)} ${px(y(p.cumulativeUsd))}`).join(' ');
  const spendLine = `<g class="mark" data-series="spend"><title>${esc(`true spend ${fmtUsd(spent)} of ${fmtUsd(b.budgetUsd)}`)}</title><path d="${d}" fill="none" stroke="#1f6feb" stroke-width="2.5" stroke-linejoin="round"/></g>`;
  return (
    svgOpen('budget', 'Cumulative true spend against the dollar budget and its pace', H) +
    yAxis(yTicks, y, fmtUsd, 'USD spent (cumulative)') +
    xAxis(xTicks, x, (v) => `${Math.round(v)}`, 'seconds since submission') +
    budgetLine +
    paceLine +
    spendLine +
    '</svg>'
  );
}
