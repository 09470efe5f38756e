// The report's four charts as inline SVG strings. Every model's mark carries
// class="mark" and data-model, so tests (and readers of the source) can find one mark per model.
import type { ReportModel, ReportQuality, ReportTokenBucket } from './data.ts';
import { colourOf, esc, fmtInt, fmtQuality, fmtUsd, fmtUtc, niceTicks, px } from './svg.ts';

export const W = 640;
export const H = 320;
export const M = { left: 70, right: 20, top: 16, bottom: 48 } as const;
export const PLOT_W = W - M.left - M.right;
export const PLOT_H = H - M.top - M.bottom;

/** Most points a line gets; longer jobs are drawn with wider buckets (a multiple of a minute). */
export const MAX_TIME_POINTS = 360;

export type Colours = ReadonlyMap<string, string>;

export function coloursFor(models: readonly string[]): Colours {
  return new Map(models.map((m, i) => [m, colourOf(i)]));
}

export function svgOpen(chart: string, title: string, height = H): string {
  return `<svg class="chart" data-chart="${chart}" role="img" aria-label="${esc(title)}" viewBox="0 0 ${W} ${height}" width="${W}" height="${height}" xmlns="http://www.w3.org/2000/svg">`;
}

/**
 * Keeps the start and the end of a long name (model names often differ only at the end) so a
 * row label fits the chart's margin; the full name is in the mark's tooltip and the table.
 */
export function shorten(name: string, maxChars: number): string {
  const chars = [...name];
  if (chars.length <= maxChars) return name;
  const head = Math.floor((maxChars - 1) / 3);
  return `${chars.slice(0, head).join('')}…${chars.slice(chars.length - (maxChars - 1 - head)).join('')}`;
}

export function scale(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const span = d1 - d0;
  return (v) => (span === 0 ? (r0 + r1) / 2 : r0 + ((v - d0) / span) * (r1 - r0));
}

export function yAxis(ticks: readonly number[], y: (v: number) => number, label: (v: number) => string, title: string): string {
  const parts = ticks.map(
    (t) =>
      `<line class="grid" x1="${M.left}" x2="${W - M.right}" y1="${px(y(t))}" y2="${px(y(t))}"/>` +
      `<text class="tick" x="${M.left - 6}" y="${px(y(t) + 4)}" text-anchor="end">${esc(label(t))}</text>`,
  );
  parts.push(`<text class="axis-title" transform="translate(14 ${px(M.top + PLOT_H / 2)}) rotate(-90)" text-anchor="middle">${esc(title)}</text>`);
  return parts.join('');
}

export function xAxis(ticks: readonly number[], x: (v: number) => number, label: (v: number) => string, title: string): string {
  const base = M.top + PLOT_H;
  const parts = ticks.map(
    (t) =>
      `<line class="axis" x1="${px(x(t))}" x2="${px(x(t))}" y1="${base}" y2="${base + 5}"/>` +
      `<text class="tick" x="${px(x(t))}" y="${base + 18}" text-anchor="middle">${esc(label(t))}</text>`,
  );
  parts.push(`<line class="axis" x1="${M.left}" x2="${W - M.right}" y1="${base}" y2="${base}"/>`);
  parts.push(`<text class="axis-title" x="${px(M.left + PLOT_W / 2)}" y="${H - 6}" text-anchor="middle">${esc(title)}</text>`);
  return parts.join('');
}

export interface ScatterPoint {
  readonly model: string;
  readonly costPerRequestUsd: number;
  readonly quality: number;
  /** true: from outcomes; false: the router's predictions (no outcomes for the model yet). */
  readonly observed: boolean;
}

/** Per model: observed mean quality and cost per request when outcomes exist, else predicted. */
export function scatterPoints(models: readonly ReportModel[]): ScatterPoint[] {
  const points: ScatterPoint[] = [];
  for (const m of models) {
    if (m.outcomes > 0 && m.meanQuality !== null && m.costUsd !== null) {
      points.push({ model: m.model, costPerRequestUsd: m.costUsd / m.outcomes, quality: m.meanQuality, observed: true });
    } else if (m.requests > 0 && m.meanPredictedQuality !== null) {
      points.push({ model: m.model, costPerRequestUsd: m.predictedCostUsd / m.requests, quality: m.meanPredictedQuality, observed: false });
    }
  }
  return points;
}

interface PlacedLabel {
  readonly text: string;
  readonly x: number;
  readonly y: number;
  readonly anchor: 'start' | 'end';
}

const LABEL_CHAR_PX = 6.6;
const LABEL_LINE_PX = 14;

/**
 * Point labels beside their points (to the left in the right part of the plot), above, level
 * or below, whichever first clears the labels already placed; none where all overlap, as in
 * a crowded corner (greedy: the legend and the tooltips name every point anyway).
 */
function placeLabels(points: readonly { readonly text: string; readonly x: number; readonly y: number }[]): (PlacedLabel | null)[] {
  const boxes: { x0: number; x1: number; y0: number; y1: number }[] = [];
  const placed: (PlacedLabel | null)[] = [];
  for (const p of points) {
    const width = [...p.text].length * LABEL_CHAR_PX;
    const anchor = p.x > M.left + PLOT_W * 0.6 ? 'end' : 'start';
    const lx = anchor === 'end' ? p.x - 10 : p.x + 10;
    const x0 = anchor === 'end' ? lx - width : lx;
    const overlaps = (y: number): boolean => boxes.some((b) => x0 < b.x1 && x0 + width > b.x0 && y - LABEL_LINE_PX + 3 < b.y1 && y + 3 > b.y0);
    const ly = [-10, 4, -24, 18].map((dy) => p.y + dy).find((y) => !overlaps(y));
    if (ly === undefined) {
      placed.push(null);
      continue;
    }
    boxes.push({ x0, x1: x0 + width, y0: ly - LABEL_LINE_PX + 3, y1: ly + 3 });
    placed.push({ text: p.text, x: lx, y: ly, anchor });
  }
  return placed;
}

export function costQualityChart(points: readonly ScatterPoint[], colours: Colours): string {
  const costs = points.map((p) => p.costPerRequestUsd);
  // 10% headroom keeps the dearest model's point and label off the plot's right edge.
  const xTicks = niceTicks(0, Math.max(0, ...costs) * 1.1, 5);
  const yTicks = niceTicks(Math.min(0, ...points.map((p) => p.quality)), Math.max(1, ...points.map((p) => p.quality)), 6);
  const x = scale(xTicks[0] ?? 0, xTicks[xTicks.length - 1] ?? 1, M.left, W - M.right);
  const y = scale(yTicks[0] ?? 0, yTicks[yTicks.length - 1] ?? 1, M.top + PLOT_H, M.top);
  const labels = placeLabels(points.map((p) => ({ text: shorten(p.model, 32), x: x(p.costPerRequestUsd), y: y(p.quality) })));
  const marks = points.map((p, i) => {
    const colour = colours.get(p.model) ?? '#333';
    const cx = px(x(p.costPerRequestUsd));
    const cy = px(y(p.quality));
    const label = labels[i];
    const fill = p.observed ? colour : '#ffffff';
    const tip = `${p.model}: quality ${fmtQuality(p.quality)}, ${fmtUsd(p.costPerRequestUsd)} per request (${p.observed ? 'observed' : 'predicted'})`;
    return (
      `<g class="mark" data-model="${esc(p.model)}"><title>${esc(tip)}</title>` +
      `<circle cx="${cx}" cy="${cy}" r="7" fill="${fill}" stroke="${colour}" stroke-width="2.5"/></g>` +
      (label === undefined || label === null ? '' : `<text class="point-label" x="${px(label.x)}" y="${px(label.y)}" text-anchor="${label.anchor}">${esc(label.text)}</text>`)
    );
  });
  return (
    svgOpen('cost-quality', 'Cost per request against quality, per model') +
    yAxis(yTicks, y, (v) => v.toFixed(2), 'mean quality') +
    xAxis(xTicks, x, fmtUsd, 'cost per request (USD)') +
    marks.join('') +
    '</svg>'
  );
}

/** Horizontal bars, one row per model, value label at the bar's end. */
function barRows(
  chart: string,
  title: string,
  rows: readonly { readonly model: string; readonly value: number; readonly label: string; readonly colour: string; readonly cls: string }[],
  max: number,
  extra: (x: (v: number) => number, height: number) => string = () => '',
): string {
  const rowH = 30;
  const left = 200;
  const right = 90;
  const height = M.top + rows.length * rowH + 12;
  const x = scale(0, max > 0 ? max : 1, left, W - right);
  const body = rows.map((r, i) => {
    const top = M.top + i * rowH;
    // A bar is at least 1 px wide so a zero is still visible as a bar, not as a missing row.
    const width = Math.max(1, x(r.value) - left);
    const modelAttr = r.cls === 'mark' ? ` data-model="${esc(r.model)}"` : '';
    return (
      `<text class="row-label" x="${left - 8}" y="${top + 19}" text-anchor="end">${esc(shorten(r.model, 28))}</text>` +
      `<rect class="${r.cls}"${modelAttr} x="${left}" y="${top + 5}" width="${px(width)}" height="${rowH - 10}" fill="${r.colour}"><title>${esc(`${r.model}: ${r.label}`)}</title></rect>` +
      `<text class="bar-value" x="${px(left + width + 6)}" y="${top + 19}">${esc(r.label)}</text>`
    );
  });
  // The extra (reference line) goes under the bars so the value labels' halo keeps them legible.
  return svgOpen(chart, title, height) + extra(x, height) + `<line class="axis" x1="${left}" x2="${left}" y1="${M.top}" y2="${height - 12}"/>` + body.join('') + '</svg>';
}

export function routingMixChart(models: readonly ReportModel[], colours: Colours): string {
  const routed = models.filter((m) => m.requests > 0);
  const total = routed.reduce((a, m) => a + m.requests, 0);
  const rows = routed.map((m) => ({
    model: m.model,
    value: m.requests,
    label: `${fmtInt(m.requests)} (${((100 * m.requests) / Math.max(1, total)).toFixed(1)}%)`,
    colour: colours.get(m.model) ?? '#333',
    cls: 'mark',
  }));
  return barRows('routing-mix', 'Requests routed per model', rows, Math.max(0, ...routed.map((m) => m.requests)));
}

export interface TokenSeries {
  readonly bucketMinutes: number;
  readonly startMs: number;
  readonly buckets: number;
  /** Tokens per bucket per model, zero-filled over the whole span. */
  readonly perModel: ReadonlyMap<string, readonly number[]>;
}

/** Zero-filled per-model series over the job's span, widened past MAX_TIME_POINTS minutes. */
export function tokenSeries(rows: readonly ReportTokenBucket[]): TokenSeries | null {
  if (rows.length === 0) return null;
  const minuteMs = 60_000;
  const first = Math.min(...rows.map((r) => r.minuteStartMs));
  const last = Math.max(...rows.map((r) => r.minuteStartMs));
  const spanMinutes = Math.floor((last - first) / minuteMs) + 1;
  const bucketMinutes = Math.max(1, Math.ceil(spanMinutes / MAX_TIME_POINTS));
  const buckets = Math.ceil(spanMinutes / bucketMinutes);
  const perModel = new Map<string, number[]>();
  for (const r of rows) {
    let series = perModel.get(r.model);
    if (series === undefined) {
      series = new Array<number>(buckets).fill(0);
      perModel.set(r.model, series);
    }
    const i = Math.floor((r.minuteStartMs - first) / (minuteMs * bucketMinutes));
    series[i] = (series[i] ?? 0) + r.tokens;
  }
  return { bucketMinutes, startMs: first, buckets, perModel };
}

export function tokensChart(series: TokenSeries, colours: Colours): string {
  const bucketMs = series.bucketMinutes * 60_000;
  const endMs = series.startMs + (series.buckets - 1) * bucketMs;
  const all = [...series.perModel.values()].flat();
  const yTicks = niceTicks(0, Math.max(0, ...all), 5);
  // scale() centres a one-bucket job (start = end) in the plot.
  const x = scale(series.startMs, endMs, M.left + 8, W - M.right - 8);
  const y = scale(yTicks[0] ?? 0, yTicks[yTicks.length - 1] ?? 1, M.top + PLOT_H, M.top);
  const withDate = endMs - series.startMs >= 86_400_000 || new Date(series.startMs).getUTCDate() !== new Date(endMs).getUTCDate();
  const stepMs = Math.max(bucketMs, niceTicks(0, Math.max(bucketMs, endMs - series.startMs), 6)[1] ?? bucketMs);
  const xTickValues: number[] = [];
  for (let t = series.startMs; t <= endMs; t += Math.ceil(stepMs / bucketMs) * bucketMs) xTickValues.push(t);
  const lines = [...series.perModel.entries()].map(([model, values]) => {
    const colour = colours.get(model) ?? '#333';
    const pts = values.map((v, i) => [x(series.startMs + i * bucketMs), y(v)] as const);
    const d = pts.map(([px0, py0], i) => `${i === 0 ? 'M' : 'L'}${px(px0)} ${px(py0)}`).join(' ');
    const dots = pts.length <= 60 ? pts.map(([cx, cy]) => `<circle cx="${px(cx)}" cy="${px(cy)}" r="3" fill="${colour}"/>`).join('') : '';
    const total = values.reduce((a, v) => a + v, 0);
    // Dots at each point keep a one-minute job (a single point) visible as a mark.
    const lone = pts.length === 1 && pts[0] !== undefined ? `<circle cx="${px(pts[0][0])}" cy="${px(pts[0][1])}" r="5" fill="${colour}"/>` : '';
    return (
      `<g class="mark" data-model="${esc(model)}"><title>${esc(`${model}: ${fmtInt(total)} estimated tokens`)}</title>` +
      `<path d="${d}" fill="none" stroke="${colour}" stroke-width="2.5" stroke-linejoin="round"/>${dots}${lone}</g>`
    );
  });
  const unit = series.bucketMinutes === 1 ? 'minute' : `${series.bucketMinutes} minutes`;
  return (
    svgOpen('tokens', `Estimated tokens routed per ${unit}, per model`) +
    yAxis(yTicks, y, fmtInt, `tokens per ${unit}`) +
    xAxis(xTickValues, x, (v) => fmtUtc(v, withDate), 'decided at (UTC)') +
    lines.join('') +
    '</svg>'
  );
}

/** "served 620 of 1,000" when a budget kept the model from serving every request. */
function servedNote(served: number | null, requests: number): string {
  return served === null || served >= requests ? '' : ` (budget serves ${fmtInt(served)} of ${fmtInt(requests)})`;
}

export function qualityChart(quality: ReportQuality, colours: Colours): string {
  const rows = [
    {
      model: 'this job (as routed)',
      value: quality.jobMeanOverRequests,
      label: fmtQuality(quality.jobMeanOverRequests) + servedNote(quality.rewarded, quality.requests),
      colour: '#222222',
      cls: 'mark-job',
    },
    ...quality.perModel.map((m) => ({
      model: m.model,
      value: m.meanOverRequests ?? 0,
      label: m.meanOverRequests === null ? 'no outcomes yet' : fmtQuality(m.meanOverRequests) + servedNote(m.servedRequests, quality.requests),
      colour: colours.get(m.model) ?? '#333',
      cls: m.meanOverRequests === null ? 'mark-none' : 'mark',
    })),
  ];
  const ref = (x: (v: number) => number, height: number): string =>
    `<line class="ref" x1="${px(x(quality.jobMeanOverRequests))}" x2="${px(x(quality.jobMeanOverRequests))}" y1="${M.top - 4}" y2="${height - 8}"/>`;
  return barRows('quality', 'Mean quality of the job against each single model on the same segments and budget', rows, 1, ref);
}
