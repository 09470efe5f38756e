// Small pieces the report's inline SVG charts share: escaping, number formats, axis ticks.
// Charts are drawn here rather than by a charting library so the report stays one file with
// no script at all (a strict Content-Security-Policy can forbid scripts and every fetch).

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML/SVG element content and quoted attribute values alike. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

export function fmtInt(n: number): string {
  const sign = n < 0 ? '-' : '';
  return sign + Math.round(Math.abs(n)).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function fmtUsd(n: number): string {
  const abs = Math.abs(n);
  if (abs === 0) return '$0';
  if (abs >= 100) return `$${fmtInt(n)}`;
  if (abs >= 1) return `$${n.toFixed(2)}`;
  // Two significant digits below a dollar; per-request costs are often fractions of a cent.
  const digits = Math.min(12, Math.ceil(-Math.log10(abs)) + 1);
  return `$${parseFloat(n.toFixed(digits)).toString()}`;
}

export function fmtQuality(q: number | null): string {
  return q === null ? '-' : q.toFixed(3);
}

/** Coordinates rounded to 0.01 px keep the SVG short and its text stable across runs. */
export function px(n: number): string {
  return (Math.round(n * 100) / 100).toString();
}

export function fmtUtc(ms: number, withDate: boolean): string {
  const iso = new Date(ms).toISOString();
  return withDate ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16);
}

/**
 * Round tick values (1, 2, 5 times a power of ten) covering [min, max], about `count` of them
 * (Heckbert, "Nice numbers for graph labels", Graphics Gems, 1990).
 */
export function niceTicks(min: number, max: number, count: number): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0];
  if (max <= min) {
    if (max === 0) return [0, 1];
    const pad = Math.abs(max) * 0.5;
    return niceTicks(min - pad, max + pad, count);
  }
  const rough = (max - min) / Math.max(1, count - 1);
  const pow = 10 ** Math.floor(Math.log10(rough));
  const frac = rough / pow;
  const step = (frac <= 1 ? 1 : frac <= 2 ? 2 : frac <= 5 ? 5 : 10) * pow;
  const lo = Math.floor(min / step) * step;
  const hi = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  for (let v = lo; v <= hi + step / 2; v += step) ticks.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)));
  return ticks;
}

/** Colour-blind-safe qualitative palette (Okabe and Ito, 2008), then Tableau 10 for more models. */
const PALETTE = [
  '#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000',
  '#4E79A7', '#F28E2B', '#E15759', '#76B7B2', '#59A14F', '#EDC948', '#B07AA1', '#FF9DA7', '#9C755F', '#BAB0AC',
];

export function colourOf(index: number): string {
  return PALETTE[index % PALETTE.length] ?? '#333333';
}
