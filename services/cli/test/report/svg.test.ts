import { describe, expect, it } from 'vitest';
import { esc, fmtInt, fmtUsd, niceTicks } from '../../src/report/svg.ts';

describe('report svg helpers', () => {
  it('escapes the five characters that can break out of text or a quoted attribute', () => {
    expect(esc(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(esc('plain/model-1.5')).toBe('plain/model-1.5');
  });

  it('picks round ticks that cover the range', () => {
    expect(niceTicks(0, 1, 6)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0, 0.0022, 5)).toEqual([0, 0.001, 0.002, 0.003]);
    expect(niceTicks(0, 59_929, 5)).toEqual([0, 20_000, 40_000, 60_000]);
    expect(niceTicks(0, 0, 5)).toEqual([0, 1]);
  });

  it('formats counts and dollars for people', () => {
    expect(fmtInt(1234567)).toBe('1,234,567');
    expect(fmtInt(-1000)).toBe('-1,000');
    expect(fmtUsd(0)).toBe('$0');
    expect(fmtUsd(1.6912)).toBe('$1.69');
    expect(fmtUsd(0.05123)).toBe('$0.051');
    expect(fmtUsd(0.0005)).toBe('$0.0005');
    expect(fmtUsd(1234.5)).toBe('$1,235');
  });
});
