// --budget-usd and --deadline, shared by submit, plan and the demo. A deadline is an ISO 8601
// instant (2026-12-05T09:00:00Z) or a duration from now (90m, 6h, 2d): both end as epoch ms.
import { CliError } from './errors.ts';

const UNIT_MS: Readonly<Record<string, number>> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseBudgetUsd(text: string): number {
  const v = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text.trim()) || !Number.isFinite(v) || v <= 0) {
    throw new CliError('invalid_arguments', `--budget-usd must be a positive number of dollars, got "${text}"`);
  }
  return v;
}

export function parseDeadlineMs(text: string, nowMs: number): number {
  const d = /^(\d+(?:\.\d+)?)([smhd])$/.exec(text.trim());
  if (d !== null) return nowMs + Math.round(Number(d[1]) * UNIT_MS[d[2]!]!);
  const at = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text.trim()) || Number.isNaN(at)) {
    throw new CliError('invalid_arguments', `--deadline must be an ISO 8601 time or a duration like 90m, 6h, 2d; got "${text}"`);
  }
  if (at <= nowMs) throw new CliError('invalid_arguments', `--deadline ${text} is in the past`);
  return at;
}
