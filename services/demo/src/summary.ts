// The demo's closing table: per model, what the router decided (requests, estimated tokens,
// batches, mean predicted quality) and, when outcomes came back, what actually happened.
import { renderTable } from '@switchyard/cli';
import type { Cell, ModelDecisions, ModelOutcomes } from '@switchyard/cli';

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
