// One self-contained HTML page for a job: inline CSS, inline SVG, no script, and a
// Content-Security-Policy that forbids loading anything, so the file reads the same offline,
// from a mail attachment or an archive years later.
import { budgetChart } from './budget-chart.ts';
import { coloursFor, costQualityChart, qualityChart, routingMixChart, scatterPoints, tokenSeries, tokensChart } from './charts.ts';
import type { ReportData, ReportModel } from './data.ts';
import { esc, fmtInt, fmtQuality, fmtUsd } from './svg.ts';

const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

const CSS = `
:root { color-scheme: light; --ink: #1d2430; --muted: #5b6575; --line: #d8dde5; --card: #ffffff; --bg: #f3f5f8; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px 48px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
h1 { font-size: 22px; margin: 0 0 4px; word-break: break-all; }
h2 { font-size: 16px; margin: 0 0 4px; }
.meta, .note, .sub { color: var(--muted); }
.sub { margin: 0 0 12px; font-size: 13px; }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 12px; margin: 20px 0; }
.tile { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
.tile .v { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
.tile .k { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.tile .d { color: var(--muted); font-size: 12px; word-break: break-all; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 16px; }
section.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 16px 18px; overflow-x: auto; }
svg.chart { display: block; max-width: 100%; height: auto; font-size: 12px; }
svg .grid { stroke: #e8ebf0; }
svg .axis { stroke: #9aa3b0; }
svg .ref { stroke: #222; stroke-dasharray: 4 3; }
svg .tick, svg .bar-value { fill: var(--muted); }
svg .bar-value { paint-order: stroke; stroke: #fff; stroke-width: 3px; }
svg .axis-title { fill: var(--ink); font-size: 12px; }
svg .row-label, svg .point-label { fill: var(--ink); }
.legend { display: flex; flex-wrap: wrap; gap: 6px 16px; margin: 8px 0 0; padding: 0; list-style: none; font-size: 13px; }
.legend .sw { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: 6px; vertical-align: -1px; }
table { border-collapse: collapse; width: 100%; margin-top: 16px; font-variant-numeric: tabular-nums; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
th { color: var(--muted); font-weight: 600; font-size: 12px; }
.note { background: #fff8e1; border: 1px solid #f0d98c; border-radius: 6px; padding: 10px 12px; color: #5a4a12; }
footer { margin-top: 24px; color: var(--muted); font-size: 12px; }
`;

function tile(label: string, value: string, detail?: string): string {
  const d = detail === undefined ? '' : `<div class="d">${esc(detail)}</div>`;
  return `<div class="tile"><div class="v">${esc(value)}</div><div class="k">${esc(label)}</div>${d}</div>`;
}

function legend(models: readonly string[], colours: ReadonlyMap<string, string>): string {
  if (models.length === 0) return '';
  const items = models.map((m) => `<li><span class="sw" style="background:${colours.get(m) ?? '#333'}"></span>${esc(m)}</li>`);
  return `<ul class="legend">${items.join('')}</ul>`;
}

function section(title: string, sub: string, body: string): string {
  return `<section class="card"><h2>${esc(title)}</h2><p class="sub">${esc(sub)}</p>${body}</section>`;
}

function note(text: string): string {
  return `<p class="note">${esc(text)}</p>`;
}

function modelTable(models: readonly ReportModel[]): string {
  if (models.length === 0) return '';
  const head = ['model', 'routed', 'est. tokens', 'pred. quality', 'pred. cost', 'outcomes', 'tokens used', 'quality', 'cost']
    .map((h) => `<th>${esc(h)}</th>`)
    .join('');
  const rows = models.map((m) => {
    const cells = [
      m.model,
      fmtInt(m.requests),
      fmtInt(m.estimatedTokens),
      fmtQuality(m.meanPredictedQuality),
      fmtUsd(m.predictedCostUsd),
      fmtInt(m.outcomes),
      m.outcomes > 0 ? fmtInt(m.actualTokens) : '-',
      fmtQuality(m.meanQuality),
      m.costUsd === null ? '-' : fmtUsd(m.costUsd),
    ];
    return `<tr>${cells.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`;
  });
  return `<table><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** The job's answers, when an executor stored any (switchyard results writes them out). */
function resultTiles(data: ReportData): string[] {
  const r = data.results;
  if (r === null || r.answered + r.errors === 0) return [];
  return [
    tile('answered', fmtInt(r.answered), `switchyard results ${data.jobId} --out F`),
    tile('answer errors', fmtInt(r.errors)),
    tile('cost of answers', r.costUsd === null ? '-' : fmtUsd(r.costUsd)),
  ];
}

export function renderReport(data: ReportData): string {
  const models = data.models.map((m) => m.model);
  const colours = coloursFor(models);
  const tenant = data.job?.tenant ?? (data.tenants.length > 0 ? data.tenants.join(', ') : 'unknown');
  const outcomes = data.models.reduce((a, m) => a + m.outcomes, 0);
  const costUsd = data.models.reduce((a, m) => a + (m.costUsd ?? 0), 0);
  const estimated = data.models.reduce((a, m) => a + m.estimatedTokens, 0);
  const actual = data.models.reduce((a, m) => a + m.actualTokens, 0);
  const decided = data.routed + data.deferred + data.rejected;

  const tiles = [
    tile('requests sent', data.job === null ? '-' : fmtInt(data.job.linesProduced)),
    tile('bad lines', data.job === null ? '-' : fmtInt(data.job.linesRejected)),
    tile('routed', fmtInt(data.routed)),
    tile('deferred', fmtInt(data.deferred)),
    tile('rejected', fmtInt(data.rejected)),
    tile('models used', fmtInt(data.models.filter((m) => m.requests > 0).length)),
    tile('est. tokens routed', fmtInt(estimated)),
    tile('outcomes', fmtInt(outcomes)),
    tile('tokens used', outcomes > 0 ? fmtInt(actual) : '-'),
    tile('cost', outcomes > 0 ? fmtUsd(costUsd) : '-'),
    tile('mean quality', data.quality === null ? '-' : fmtQuality(data.quality.jobMeanReward)),
    ...resultTiles(data),
  ];
  // Both sides over the same requests and budget (compare.ts): what routing bought.
  const best = data.quality?.perModel.reduce<{ model: string; v: number } | null>(
    (b, m) => (m.meanOverRequests !== null && (b === null || m.meanOverRequests > b.v) ? { model: m.model, v: m.meanOverRequests } : b),
    null,
  );
  if (data.quality !== null && best !== null && best !== undefined) {
    const gap = data.quality.jobMeanOverRequests - best.v;
    tiles.push(tile('vs best single model', `${gap >= 0 ? '+' : ''}${gap.toFixed(3)}`, best.model));
  }

  const points = scatterPoints(data.models);
  const anyPredicted = points.some((p) => !p.observed);
  const scatter =
    points.length === 0
      ? note('No routed requests with a predicted or observed quality yet.')
      : costQualityChart(points, colours) +
        legend(points.map((p) => p.model), colours) +
        (anyPredicted ? `<p class="sub">Hollow points: no outcomes for that model yet, so the router's predicted quality and cost are shown.</p>` : '');

  const mix = data.routed === 0 ? note('No request of this job has been routed yet.') : routingMixChart(data.models, colours);

  const series = tokenSeries(data.tokensPerMinute);
  const tokens =
    series === null
      ? note('No routing decisions with estimated tokens yet.')
      : tokensChart(series, colours) + legend([...series.perModel.keys()], colours);

  const quality =
    data.quality === null
      ? note('No outcomes yet: quality against the single models appears once executors report outcomes for this job.')
      : qualityChart(data.quality, colours) +
        `<p class="sub">Based on ${fmtInt(data.quality.rewarded)} outcomes with a known quality, over ${fmtInt(data.quality.requests)} requests (answered or rejected). Dashed line: this job's mean.</p>`;

  const b = data.usdBudget ?? null;
  const budget =
    b === null
      ? ''
      : section(
          'Budget use over time',
          `True spend (blue: outcomes' costs, cumulative) against the job's dollar budget of ${fmtUsd(b.budgetUsd)} (red) and its pace (grey dashed: the budget spread evenly until ${b.deadlineMs === null ? 'the last outcome' : `the deadline, ${new Date(b.deadlineMs).toISOString()}`}).`,
          b.spend.length === 0 ? note('No outcome with a cost yet.') : budgetChart(b),
        );

  const submitted = data.job === null ? 'no submit record (requests reached the router directly)' : `submitted ${new Date(data.job.submittedAtMs).toISOString()} from ${data.job.source}, status ${data.job.status}`;

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(CSP)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(`switchyard job ${data.jobId}`)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>Job ${esc(data.jobId)}</h1>
<p class="meta">Tenant ${esc(tenant)} · ${esc(submitted)} · ${esc(fmtInt(decided))} decisions</p>
</header>
<div class="tiles">${tiles.join('')}</div>
<div class="grid2">
${section('Cost against quality', 'Per model: mean quality and mean cost per request of the requests this job sent it.', scatter)}
${section('Routing mix', 'Requests of this job routed to each model.', mix)}
${section('Token use over time', "Estimated tokens of the routed requests, by the router's decision time.", tokens)}
${budget}
${section('Quality against the best single model', "Mean quality per request of the job as routed, and what each model alone would have scored on the job's segments (its mean per segment over all outcomes, weighted by the job's outcomes per segment) under the same token budget and windows the job had: alone, a model has only its own budget, so it serves the requests that fit in it and the others score 0, as requests the router rejected do.", quality)}
</div>
<section class="card" style="margin-top:16px"><h2>Per model</h2>${models.length === 0 ? note('No decisions or outcomes for this job yet.') : modelTable(data.models)}</section>
<footer>Generated ${esc(new Date(data.generatedAtMs).toISOString())} by switchyard report. Quality is the reward the router learns from: the reported quality, else 1/0 from success, else 0 on error.</footer>
</body>
</html>
`;
}
