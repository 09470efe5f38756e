// The validation of one parsed line, by the format of its file: native lines (JSONL, CSV,
// Parquet) by the job-line schema, provider lines by their batch format.
import { checkAnthropicLine } from './anthropic-batch.ts';
import { checkJobLine } from './job-line.ts';
import { checkOpenAiLine } from './openai-batch.ts';
import { toCheckedLine } from './provider-line.ts';
import type { CheckedLine } from './provider-line.ts';
import type { SourceFormat } from './record.ts';

export type CheckResult = { readonly ok: true; readonly checked: CheckedLine } | { readonly ok: false; readonly error: string };

export type LineChecker = (value: unknown) => CheckResult;

export function lineCheckerFor(format: SourceFormat): LineChecker {
  if (format === 'openai' || format === 'anthropic') {
    const check = format === 'openai' ? checkOpenAiLine : checkAnthropicLine;
    return (value) => {
      const r = check(value);
      return r.ok ? { ok: true, checked: toCheckedLine(r.line, format) } : r;
    };
  }
  return (value) => {
    const r = checkJobLine(value);
    return r.ok ? { ok: true, checked: { line: r.line } } : r;
  };
}
