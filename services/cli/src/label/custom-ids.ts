// Which lines of a job's source file a custom id names: a provider batch line's `custom_id`
// (OpenAI, Anthropic), else a native line's own `id` (kept by submit as metadata.sourceId).
// Read with the same checker submit used, so a provider file is not read as native lines
// (whose schema has no custom_id, which would leave every label unresolved).
import { lineCheckerFor } from '../source/line-check.ts';
import type { SourceFormat, SourceRecord } from '../source/record.ts';

export async function customIdLines(records: AsyncIterable<SourceRecord>, format: SourceFormat): Promise<Map<string, string[]>> {
  const check = lineCheckerFor(format);
  const out = new Map<string, string[]>();
  for await (const rec of records) {
    if (rec.kind !== 'line') continue;
    const r = check(rec.value);
    if (!r.ok) continue;
    const id = r.checked.customId ?? r.checked.line.id;
    if (id === undefined) continue;
    const k = String(id);
    out.set(k, [...(out.get(k) ?? []), String(rec.lineNo)]);
  }
  return out;
}
