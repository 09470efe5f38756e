// Plain-text tables for terminal output: columns padded to their widest cell, numbers right-aligned.

export type Cell = string | number | null;

export interface Column {
  readonly title: string;
  readonly align?: 'left' | 'right';
}

export function formatNumber(v: number, digits = 0): string {
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function text(c: Cell): string {
  if (c === null) return '-';
  return typeof c === 'number' ? formatNumber(c) : c;
}

export function renderTable(columns: readonly Column[], rows: readonly (readonly Cell[])[]): string {
  const cells = rows.map((r) => columns.map((_, i) => text(r[i] ?? null)));
  const widths = columns.map((c, i) => Math.max(c.title.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: readonly string[]): string =>
    values
      .map((v, i) => (columns[i]!.align === 'right' ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.title)), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
