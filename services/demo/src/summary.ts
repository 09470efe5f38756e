// The demo's closing table: per model, what the router decided (requests, estimated tokens,
// batches, mean predicted quality) and, when outcomes came back, what actually happened.
import { renderTable } from '@switchyard/cli';
import type { Cell, ModelDecisions, ModelOutcomes, ReportQuality } from '@switchyard/cli';

function fixed(v: number | null | undefined, digits: number): string | null {
  return v === null || v === undefined || !Number.isFinite(v) ? null : v.toFixed(digits);
}

export function renderSummary(perModel: readonly ModelDecisions[], outcomes: readonly ModelOutcomes[] | null): string {
  const withOutcomes = outcomes !== null;
  const byModel = new Map((outcomes ?? []).map((o) => [o.model, o]));
  const columns = [
    { title: 'model' },
    { title: 'requests', align: 'right' as const },
    { title: 'est. tokens', align: 'right' as const },
    { title: 'batches', align: 'right' as const },
    { title: 'pred. quality', align: 'right' as const },
    ...(withOutcomes
      ? [
          { title: 'outcomes', align: 'right' as const },
          { title: 'true quality', align: 'right' as const },
          { title: 'tokens used', align: 'right' as const },
          { title: 'cost USD', align: 'right' as const },
        ]
      : []),
  ];
  const rows: Cell[][] = perModel.map((m) => {
    const o = byModel.get(m.model);
    return [
      m.model,
      m.requests,
      m.estimatedTokens,
      m.batches,
      fixed(m.meanPredictedQuality, 3),
      ...(withOutcomes ? [o?.received ?? 0, fixed(o?.meanQuality, 3), o?.tokens ?? 0, fixed(o?.costUsd ?? 0, 4)] : []),
    ];
  });
  const requests = perModel.reduce((a, m) => a + m.requests, 0);
  const weightedQ = perModel.reduce((a, m) => a + (m.meanPredictedQuality ?? 0) * m.requests, 0);
  const totalOutcomes = (outcomes ?? []).reduce((a, o) => a + o.received, 0);
  const weightedTrue = (outcomes ?? []).reduce((a, o) => a + (o.meanQuality ?? 0) * o.received, 0);
  rows.push([
    'total',
    requests,
    perModel.reduce((a, m) => a + m.estimatedTokens, 0),
    perModel.reduce((a, m) => a + m.batches, 0),
    requests > 0 ? fixed(weightedQ / requests, 3) : null,
    ...(withOutcomes
      ? [
          totalOutcomes,
          totalOutcomes > 0 ? fixed(weightedTrue / totalOutcomes, 3) : null,
          (outcomes ?? []).reduce((a, o) => a + o.tokens, 0),
          fixed((outcomes ?? []).reduce((a, o) => a + o.costUsd, 0), 4),
        ]
      : []),
  ]);
  return renderTable(columns, rows);
}

/**
 * What routing bought, as the report computes it: the job's mean quality per request against
 * each single model held to the same token budget and windows (a model alone serves only the
 * requests its own budget fits; the others score 0). Null before outcomes.
 */
export function renderComparison(quality: ReportQuality | null): string | null {
  if (quality === null) return null;
  const rows: Cell[][] = [
    ['this job, as routed', fixed(quality.jobMeanOverRequests, 3), `${quality.rewarded} of ${quality.requests}`],
    ...quality.perModel.map((m): Cell[] => [
      `${m.model} alone`,
      fixed(m.meanOverRequests, 3),
      m.meanOverRequests === null ? 'no outcomes' : m.servedRequests === null ? 'all (no budget bound)' : `${m.servedRequests} of ${quality.requests}`,
    ]),
  ];
  const best = quality.perModel.reduce<{ model: string; v: number } | null>(
    (b, m) => (m.meanOverRequests !== null && (b === null || m.meanOverRequests > b.v) ? { model: m.model, v: m.meanOverRequests } : b),
    null,
  );
  const table = renderTable([{ title: 'same budget and windows' }, { title: 'quality per request', align: 'right' }, { title: 'requests served', align: 'right' }], rows);
  if (best === null) return table;
  const gap = quality.jobMeanOverRequests - best.v;
  return `${table}\nrouting ${gap >= 0 ? 'scored' : 'fell'} ${Math.abs(gap).toFixed(3)} ${gap >= 0 ? 'above' : 'below'} the best single model under the same budget (${best.model})`;
}
