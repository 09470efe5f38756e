import { describe, expect, it } from 'vitest';
import { parseBudgetUsd, parseDeadlineMs } from '../src/budget-flags.ts';
import { CliError } from '../src/errors.ts';

describe('budget flags', () => {
  it('parses dollars and refuses anything that is not a positive amount', () => {
    expect(parseBudgetUsd('12.5')).toBe(12.5);
    for (const bad of ['0', '-1', 'abc', '1e3', '']) expect(() => parseBudgetUsd(bad)).toThrow(CliError);
  });

  it('parses a deadline as a duration from now or an ISO instant', () => {
    const now = Date.parse('2026-12-04T12:00:00Z');
    expect(parseDeadlineMs('90m', now)).toBe(now + 90 * 60_000);
    expect(parseDeadlineMs('2d', now)).toBe(now + 2 * 86_400_000);
    expect(parseDeadlineMs('2026-12-05T09:00:00Z', now)).toBe(Date.parse('2026-12-05T09:00:00Z'));
    expect(() => parseDeadlineMs('2026-12-01T00:00:00Z', now)).toThrow(/in the past/);
    expect(() => parseDeadlineMs('soon', now)).toThrow(CliError);
  });
});
