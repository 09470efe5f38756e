import { METHOD_NAMES, type QualityReport, type Stat } from './protocol.ts';

const fmt = (s: Stat, digits: number): string => `${s.mean.toFixed(digits)} ± ${s.sd.toFixed(digits)}`;

/** One side-by-side table; "% C^opt" is relative to est-opt, "% Copt" to the LP bound on true values. */
export function formatReport(r: QualityReport, run: { ann: string; weighting: string; primary: string; kernel: string; firstSeed: number }): string {
  const estOpt = r.methods['est-opt'].performance.mean;
  const header = ['method', 'performance', '% C^opt', '% Copt', 'cost (USD)', 'served', 'lost', 'efficiency', 'exceeded', 'decisions/s'];
  const rows = METHOD_NAMES.map((name) => {
    const m = r.methods[name];
    return [
      name === r.primary ? `${name} (primary)` : name,
      fmt(m.performance, 1),
      estOpt > 0 ? `${((100 * m.performance.mean) / estOpt).toFixed(1)}%` : '-',
      r.coptLpValue > 0 ? `${((100 * m.performance.mean) / r.coptLpValue).toFixed(1)}%` : '-',
      fmt(m.cost, 4),
      fmt(m.served, 1),
      m.lost.mean.toFixed(1),
      fmt(m.efficiency, 0),
      m.budgetExceeded ? 'YES' : 'no',
      m.decisionsPerSecond > 0 ? m.decisionsPerSecond.toExponential(2) : '-',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [
    `dataset ${r.dataset}: factor ${r.factor}, split ${r.split}, ${r.seeds} seeds from ${run.firstSeed}, nTest ${r.nTest}, nHistory ${r.nHistory}`,
    `embedder ${r.embedder}, ann ${run.ann}, k 5 ${run.weighting} (resolving-dual: ${run.primary}), kernel ${run.kernel}; Copt LP value ${r.coptLpValue.toFixed(2)}`,
    '',
    line(header),
    `|${widths.map((w, i) => (i === 0 ? ':' : '') + '-'.repeat(w + 1) + (i === 0 ? '' : ':')).join('|')}|`,
    ...rows.map(line),
    '',
    `usd-budget routes with one pooled dollar budget (PORT's setting, the router's --budget-usd); its quote (estimates of the chosen models) vs realised: ` +
      `cost ${fmt(r.usdQuote.predictedCostUsd, 4)} vs ${fmt(r.usdQuote.realisedCostUsd, 4)} USD (error ${(100 * r.usdQuote.costErrorFraction).toFixed(1)}%), ` +
      `quality ${fmt(r.usdQuote.predictedQuality, 1)} vs ${fmt(r.usdQuote.realisedQuality, 1)} (error ${(100 * r.usdQuote.qualityErrorFraction).toFixed(1)}%)`,
  ].join('\n');
}
