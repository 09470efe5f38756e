import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DatasetError, parsePythonList, parsePythonListString } from '../src/index.ts';

/** Python's repr() of a str, as pandas wrote RouterBench's list columns. */
function pyRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += '\\' + quote;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + quote;
}

describe('parsePythonList', () => {
  it('reads both quote styles and the escapes repr() emits', () => {
    expect(parsePythonList(`['it\\'s a "test"\\n\\tdone']`)).toEqual([`it's a "test"\n\tdone`]);
    expect(parsePythonList(`["Kyle's leg \\"warmers\\"\\\\"]`)).toEqual([`Kyle's leg "warmers"\\`]);
    expect(parsePythonList(`['caf\\xe9 \\u2014 \\U0001f600']`)).toEqual(['café — 😀']);
    expect(parsePythonList(`[]`)).toEqual([]);
    expect(parsePythonList(` [ 'a' , "b" , ] `)).toEqual(['a', 'b']);
    expect(parsePythonList(`['a' "b"]`)).toEqual(['ab']);
    expect(parsePythonList(`[r'\\d+']`)).toEqual(['\\d+']);
  });

  it('keeps literal unicode untouched', () => {
    expect(parsePythonList(`['naïve 日本語 ✓']`)).toEqual(['naïve 日本語 ✓']);
  });

  it('inverts repr() for any list of strings', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary' }), { maxLength: 4 }), (xs) => {
        const lit = '[' + xs.map(pyRepr).join(', ') + ']';
        expect(parsePythonList(lit)).toEqual(xs);
      }),
      { numRuns: 300 },
    );
  });

  it.each([`['unterminated]`, `'no list'`, `['a'] trailing`, `['a' 'b'`, `[1, 2]`, `['bad \\x4']`])(
    'rejects %s with a bad_literal error',
    (lit) => {
      expect(() => parsePythonList(lit)).toThrow(DatasetError);
      try {
        parsePythonList(lit);
      } catch (e) {
        expect((e as DatasetError).code).toBe('bad_literal');
      }
    },
  );
});

describe('parsePythonListString', () => {
  it('joins several elements with a blank line and passes plain text through', () => {
    expect(parsePythonListString(`['first', 'second']`)).toBe('first\n\nsecond');
    expect(parsePythonListString('plain prompt')).toBe('plain prompt');
  });
});
