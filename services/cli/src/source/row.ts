// Normalises a tabular row (CSV cells are strings; Parquet cells are typed) into the object
// shape of a JSONL line, so every format is validated by the same schema. Column names follow
// the JSONL fields (camelCase) or their snake_case spelling; `metadata.<key>` columns fill the
// metadata map; any other column is kept under its own name, so the strict schema reports it.

const INT_COLUMNS: Readonly<Record<string, string>> = {
  promptTokens: 'promptTokens',
  prompt_tokens: 'promptTokens',
  maxOutputTokens: 'maxOutputTokens',
  max_output_tokens: 'maxOutputTokens',
  priority: 'priority',
};
const LIST_COLUMNS: Readonly<Record<string, string>> = { allowedModels: 'allowedModels', allowed_models: 'allowedModels' };
const INTEGER = /^[+-]?\d+$/;

function numberOrKeep(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && INTEGER.test(v.trim())) return Number(v.trim());
  return v;
}

function isEmpty(v: unknown): boolean {
  return v === null || v === undefined || (typeof v === 'string' && v.trim() === '');
}

/**
 * Empty cells count as absent. Integers given as text become numbers (anything else is kept
 * as is so the schema reports the field); `allowedModels` text is split on `|`; `embedding`
 * text is parsed as a JSON array.
 */
export function normaliseRow(row: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let metadata: Record<string, unknown> | undefined;
  for (const [column, value] of Object.entries(row)) {
    if (isEmpty(value)) continue;
    if (column.startsWith('metadata.') && column.length > 'metadata.'.length) {
      metadata ??= {};
      metadata[column.slice('metadata.'.length)] = typeof value === 'bigint' || typeof value === 'number' ? String(value) : value;
      continue;
    }
    const intField = INT_COLUMNS[column];
    if (intField !== undefined) {
      out[intField] = numberOrKeep(value);
      continue;
    }
    const listField = LIST_COLUMNS[column];
    if (listField !== undefined) {
      out[listField] = typeof value === 'string' ? value.split('|').map((s) => s.trim()).filter((s) => s.length > 0) : value;
      continue;
    }
    if (column === 'embedding' && typeof value === 'string') {
      out.embedding = parseJsonOrKeep(value);
      continue;
    }
    if (column === 'deadline') {
      out.deadline = numberOrKeep(value);
      continue;
    }
    out[column] = typeof value === 'bigint' ? Number(value) : value;
  }
  if (metadata !== undefined) out.metadata = metadata;
  return out;
}

function parseJsonOrKeep(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
